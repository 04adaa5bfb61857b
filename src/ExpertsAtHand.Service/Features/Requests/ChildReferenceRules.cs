using System.Collections.Concurrent;
using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>
/// Each area's rule for pseudonymous child references: ChildReference:{Pattern,Description,MaxLetterRun}
/// for every area, Areas:{tenant}:ChildReference:… for one; the safe default otherwise.
/// </summary>
public sealed class ChildReferenceRules(IConfiguration configuration)
{
    private readonly ConcurrentDictionary<string, ChildReferenceRule> _byTenant = new(StringComparer.Ordinal);

    public ChildReferenceRule For(string tenant) => _byTenant.GetOrAdd(tenant, t =>
    {
        var fallback = Read(configuration.GetSection("ChildReference"), ChildReferenceRule.Default);
        return Read(configuration.GetSection($"Areas:{t}:ChildReference"), fallback);
    });

    private static ChildReferenceRule Read(IConfigurationSection section, ChildReferenceRule fallback) => section.Exists()
        ? new ChildReferenceRule(
            section["Pattern"] ?? "^(?=.*[0-9])[A-Za-z0-9-]{3,20}$",
            section["Description"] ?? fallback.Description,
            section.GetValue("MaxLetterRun", 3))
        : fallback;
}
