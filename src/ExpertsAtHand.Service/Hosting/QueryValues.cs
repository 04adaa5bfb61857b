using System.Globalization;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Query-string values read the way bodies are: enum names in any case (numbers refused), dates in
/// the range the service answers for, whole numbers in a stated range. Each failure is recorded
/// under the parameter's own name with what would have been accepted.
/// </summary>
public static class QueryValues
{
    /// <summary>The dates the service reasons about: nothing before 2000 happened in it, nothing after 2099 is planned.</summary>
    public static readonly DateOnly Earliest = new(2000, 1, 1);

    public static readonly DateOnly Latest = new(2099, 12, 31);

    public static TEnum? Enum<TEnum>(string? value, string parameter, IDictionary<string, string[]> errors)
        where TEnum : struct, Enum
    {
        if (value is null)
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            && System.Enum.TryParse<TEnum>(value.Trim(), ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed))
        {
            return parsed;
        }

        errors[parameter] = [$"One of {string.Join(", ", System.Enum.GetNames<TEnum>())}."];
        return null;
    }

    /// <summary>Records an error when a given date lies outside the years the service answers for.</summary>
    public static void InRange(DateOnly? date, string parameter, IDictionary<string, string[]> errors)
    {
        if (date is { } value && (value < Earliest || value > Latest))
        {
            errors[parameter] = [$"A date from {Earliest:yyyy-MM-dd} to {Latest:yyyy-MM-dd}."];
        }
    }

    public static void InRange(int? number, int min, int max, string parameter, string what, IDictionary<string, string[]> errors)
    {
        if (number is { } value && (value < min || value > max))
        {
            errors[parameter] = [$"{what} from {min.ToString("N0", CultureInfo.InvariantCulture)} to {max.ToString("N0", CultureInfo.InvariantCulture)}."];
        }
    }

    /// <summary>What a parameter of a given CLR type accepts, in words, for a binding failure.</summary>
    public static string Expected(string typeName)
    {
        var name = typeName.StartsWith("Nullable<", StringComparison.Ordinal) ? typeName[9..^1] : typeName;
        return name switch
        {
            "DateOnly" => $"A date written yyyy-MM-dd, from {Earliest:yyyy-MM-dd} to {Latest:yyyy-MM-dd}.",
            "Int32" or "int" => "A whole number.",
            "Decimal" or "decimal" or "Double" or "double" => "A number, such as 0.25.",
            "Guid" => "An id such as 0190f5c2-7d1e-7c3a-9b1e-2f6a8c4d5e6f.",
            "Boolean" or "bool" => "true or false.",
            _ => EnumNames(name) is { } names ? $"One of {names}." : "A value of the right kind.",
        };
    }

    private static string? EnumNames(string name)
    {
        var type = typeof(Domain.Requests.RequestStatus).Assembly.GetTypes().Concat(typeof(QueryValues).Assembly.GetTypes())
            .FirstOrDefault(t => t.IsEnum && t.Name == name);
        return type is null ? null : string.Join(", ", System.Enum.GetNames(type));
    }
}
