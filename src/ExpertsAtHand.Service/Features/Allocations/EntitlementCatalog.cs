using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Settings;

namespace ExpertsAtHand.Service.Features.Allocations;

/// <summary>
/// The entitlement formula per local area: the calibrated defaults, overridden by Entitlement:… and,
/// for one area, Areas:{tenant}:Entitlement:… (BaseHours:{Phase}, HoursPerPupil, SenSupportWeight,
/// EhcpWeight, FsmWeight, HoursPerDay).
/// </summary>
public sealed class EntitlementCatalog(IConfiguration configuration)
{
    private readonly EntitlementFormula _defaults = Read(configuration.GetSection("Entitlement"), EntitlementFormula.Default);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, EntitlementFormula> _byTenant = new(StringComparer.Ordinal);

    // Read once per area: projections ask for every settings event they apply.
    public EntitlementFormula For(string tenant) => _byTenant.GetOrAdd(tenant, t =>
        configuration.GetSection($"Areas:{t}:Entitlement").Exists() ? Read(configuration.GetSection($"Areas:{t}:Entitlement"), _defaults) : _defaults);

    private static EntitlementFormula Read(IConfigurationSection section, EntitlementFormula fallback) => new(
        Enum.GetValues<Phase>().ToDictionary(p => p, p => section.GetValue($"BaseHours:{p}", fallback.BaseHours.GetValueOrDefault(p))),
        section.GetValue("HoursPerPupil", fallback.HoursPerPupil),
        section.GetValue("SenSupportWeight", fallback.SenSupportWeight),
        section.GetValue("EhcpWeight", fallback.EhcpWeight),
        section.GetValue("FsmWeight", fallback.FsmWeight),
        section.GetValue("HoursPerDay", fallback.HoursPerDay));
}
