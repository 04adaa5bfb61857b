using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.EventLog;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Where a setting is (locality and phase), as the report projections keep it. Each keeps it in a
/// table of its own so it can be rebuilt, and shadowed for an as-of answer, without the others.
/// </summary>
internal static class SettingPlace
{
    public static void Upsert(SqlBatch batch, string table, string tenant, string urn, SettingDetails details) =>
        batch.Add(
            $"INSERT INTO {table} (tenant_id, urn, locality, phase) VALUES ($1, $2, $3, $4) "
            + "ON CONFLICT (tenant_id, urn) DO UPDATE SET locality = EXCLUDED.locality, phase = EXCLUDED.phase",
            tenant, urn, details.Locality, details.Phase.ToString());
}
