using Npgsql;

namespace ExpertsAtHand.Service.Features.Settings;

/// <summary>Settings' names by URN, for pages that show which settings a list is about.</summary>
public static class SettingNames
{
    /// <summary>The area's open settings (or only <paramref name="urns"/>), by name.</summary>
    public static async Task<IReadOnlyList<(string Urn, string Name)>> ForAsync(NpgsqlDataSource dataSource, string tenant, IReadOnlyCollection<string>? urns, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT urn, name FROM rm_settings WHERE tenant_id = $1 AND open AND ($2::text[] IS NULL OR urn = ANY($2)) ORDER BY name, urn");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = urns is null ? DBNull.Value : urns.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var settings = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            settings.Add((reader.GetString(0), reader.GetString(1)));
        }

        return settings;
    }
}
