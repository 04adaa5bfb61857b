using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>
/// Each request's short human reference, unique in its area and stable: the area's prefix, the year it
/// was raised and a number counted per area and year (NMR-2026-00123). People quote it on the phone
/// and in e-mails; the id stays the API's key. The prefix is Areas:{tenant}:ReferencePrefix (two to six
/// capital letters or digits), otherwise the area id's own letters and digits, capitalised.
/// </summary>
public sealed partial class RequestReferences(NpgsqlDataSource dataSource, IConfiguration configuration)
{
    private readonly ConcurrentDictionary<string, string> _prefixes = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes the area's next number for the year in its own short transaction: a raise that then fails
    /// leaves a gap, never a duplicate, and no raise waits on another's whole command.
    /// </summary>
    public async Task<string> NextAsync(string tenant, int year, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO request_reference_numbers AS r (tenant_id, year, last_number) VALUES ($1, $2, 1) "
            + "ON CONFLICT (tenant_id, year) DO UPDATE SET last_number = r.last_number + 1 RETURNING last_number");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = year });
        var number = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return string.Create(CultureInfo.InvariantCulture, $"{PrefixFor(tenant)}-{year}-{number:D5}");
    }

    /// <summary>Whether <paramref name="text"/> has a reference's shape, so a search can refuse anything else by name.</summary>
    public static bool LooksLikeOne(string text) => Shape().IsMatch(text);

    public string PrefixFor(string tenant) => _prefixes.GetOrAdd(tenant, t =>
    {
        if (configuration[$"Areas:{t}:ReferencePrefix"] is { } configured)
        {
            return Prefix().IsMatch(configured)
                ? configured
                : throw new InvalidOperationException($"Areas:{t}:ReferencePrefix must be two to six capital letters or digits, not '{configured}'.");
        }

        var own = new string([.. t.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).Take(6)]);
        return own.Length >= 2 ? own : "REQ";
    });

    [GeneratedRegex("^[A-Z0-9]{2,6}$")]
    private static partial Regex Prefix();

    [GeneratedRegex("^[A-Za-z0-9]{2,6}-[0-9]{4}-[0-9]{5,}$")]
    private static partial Regex Shape();
}
