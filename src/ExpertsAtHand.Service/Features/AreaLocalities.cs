namespace ExpertsAtHand.Service.Features;

/// <summary>The localities an area's settings are in: what a locality filter may name.</summary>
public static class AreaLocalities
{
    /// <summary>
    /// The locality as the area spells it, matched without regard to case; an unknown one records an
    /// error under <paramref name="parameter"/> listing the area's localities.
    /// </summary>
    public static async Task<string?> CanonicalAsync(HttpContext http, string tenant, string? locality, string parameter, Dictionary<string, string[]> errors)
    {
        if (locality is null)
        {
            return null;
        }

        var known = await ListAsync(http.RequestServices.GetRequiredService<Npgsql.NpgsqlDataSource>(), tenant, http.RequestAborted).ConfigureAwait(false);
        var match = known.FirstOrDefault(k => string.Equals(k, locality.Trim(), StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            errors[parameter] = [known.Count == 0
                ? "Your local area has no settings yet, so no locality to filter by."
                : $"One of your area's localities: {string.Join(", ", known)}."];
        }

        return match;
    }

    /// <summary>The area's localities, alphabetically.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(Npgsql.NpgsqlDataSource dataSource, string tenant, CancellationToken cancellationToken)
    {
        var known = new List<string>();
        await using var command = dataSource.CreateCommand("SELECT DISTINCT locality FROM rm_settings WHERE tenant_id = $1 ORDER BY locality");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            known.Add(reader.GetString(0));
        }

        return known;
    }
}
