using System.CommandLine;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Command-line values never swallow options: `--urn 990076 --Postgres:DataDirectory=/x` gives one
/// URN and leaves the configuration override to configuration, where it belongs.
/// </summary>
public static class OptionValues
{
    /// <summary>
    /// Spells out the repeatable options' values one option each (`--urn a b` becomes
    /// `--urn a --urn b`), stopping at the first token that starts with '-': the parser then gives each
    /// occurrence exactly one value, and anything option-like is parsed as an option or configuration.
    /// </summary>
    public static string[] OneValuePerOption(IReadOnlyList<string> args, params string[] repeatable)
    {
        var expanded = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            expanded.Add(arg);
            if (!repeatable.Contains(arg, StringComparer.Ordinal))
            {
                continue;
            }

            for (var first = true; i + 1 < args.Count && !args[i + 1].StartsWith('-'); first = false)
            {
                if (!first)
                {
                    expanded.Add(arg);
                }

                expanded.Add(args[++i]);
            }
        }

        return [.. expanded];
    }

    /// <summary>A single value that looks like an option is a mistake (a missing value), not a value.</summary>
    public static Option<T> RefuseOptionLikeValue<T>(this Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith('-')) is { } token)
            {
                result.AddError($"{option.Name} needs a value; '{token.Value}' is an option.");
            }
        });
        return option;
    }
}
