using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Allocation;

/// <summary>An accepted request waiting for practitioner time.</summary>
public sealed record Demand(
    Guid RequestId,
    string SettingUrn,
    string Locality,
    Discipline Discipline,
    Priority Priority,
    int SlackWorkingDays,
    decimal Hours,
    DateTimeOffset AcceptedAt);

/// <summary>A practitioner's free hours in the period being allocated.</summary>
public sealed record Capacity(string PractitionerId, Discipline Discipline, IReadOnlySet<string> Localities, decimal Hours);

/// <summary>A setting's use of the offer so far and its (pro-rata) entitlement for the same period.</summary>
public sealed record SettingUse(decimal UsedHours, decimal EntitlementHours)
{
    public decimal Ratio => EntitlementHours <= 0 ? decimal.MaxValue : UsedHours / EntitlementHours;
}

/// <summary>Everything that ranked a proposal, kept so a commissioner can see why it was made.</summary>
public sealed record RankingInputs(
    int Rank,
    Priority Priority,
    int SlackWorkingDays,
    decimal UsedHours,
    decimal EntitlementHours,
    decimal UseRatio,
    bool BeyondEntitlement);

public sealed record Proposal(Guid RequestId, string SettingUrn, string PractitionerId, decimal Hours, RankingInputs Ranking);

public sealed record AllocationResult(IReadOnlyList<Proposal> Proposals, IReadOnlyList<Demand> Waiting, IReadOnlyDictionary<string, decimal> RemainingHours);

/// <summary>
/// Proposes who gets scarce practitioner time. Demand is ranked by priority, then least SLA slack,
/// then the setting furthest below its need-weighted fair share (recomputed as hours are given), so a
/// setting that asks often cannot crowd out one that asks rarely. A first pass gives no setting more
/// than its entitlement; a second pass hands capacity that would otherwise sit idle to the demand
/// still waiting (work-conserving). Pure and deterministic: the same inputs in any order give the
/// same proposals.
/// </summary>
public static class AllocationEngine
{
    public static AllocationResult Propose(IReadOnlyList<Demand> demand, IReadOnlyList<Capacity> capacity, IReadOnlyDictionary<string, SettingUse> use)
    {
        var remaining = capacity
            .GroupBy(c => c.PractitionerId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First() with { Hours = g.Sum(c => Math.Max(0, c.Hours)) }, StringComparer.Ordinal);
        var used = use.ToDictionary(u => u.Key, u => u.Value.UsedHours, StringComparer.Ordinal);
        var waiting = demand.Where(d => d.Hours > 0).OrderBy(d => d.RequestId).ToList();
        var proposals = new List<Proposal>();

        foreach (var withinEntitlement in new[] { true, false })
        {
            while (true)
            {
                var next = waiting
                    .Where(d => !withinEntitlement || Fits(d, used, use))
                    .Select(d => (Demand: d, Practitioner: BestPractitioner(d, remaining.Values)))
                    .Where(x => x.Practitioner is not null)
                    .OrderBy(x => x.Demand.Priority)
                    .ThenBy(x => x.Demand.SlackWorkingDays)
                    .ThenBy(x => Ratio(x.Demand.SettingUrn, used, use))
                    .ThenBy(x => x.Demand.AcceptedAt)
                    .ThenBy(x => x.Demand.RequestId)
                    .FirstOrDefault();
                if (next.Demand is null)
                {
                    break;
                }

                var (chosen, practitioner) = next;
                var entitlement = use.TryGetValue(chosen.SettingUrn, out var setting) ? setting.EntitlementHours : 0;
                var before = used.GetValueOrDefault(chosen.SettingUrn);
                proposals.Add(new Proposal(
                    chosen.RequestId,
                    chosen.SettingUrn,
                    practitioner!.PractitionerId,
                    chosen.Hours,
                    new RankingInputs(
                        proposals.Count + 1,
                        chosen.Priority,
                        chosen.SlackWorkingDays,
                        before,
                        entitlement,
                        entitlement <= 0 ? 0 : Math.Round(before / entitlement, 3),
                        before + chosen.Hours > entitlement)));
                used[chosen.SettingUrn] = before + chosen.Hours;
                remaining[practitioner.PractitionerId] = practitioner with { Hours = practitioner.Hours - chosen.Hours };
                waiting.Remove(chosen);
            }
        }

        return new AllocationResult(proposals, waiting, remaining.ToDictionary(r => r.Key, r => r.Value.Hours, StringComparer.Ordinal));
    }

    /// <summary>Whether <paramref name="practitioner"/> can take <paramref name="demand"/>: same discipline, covers the locality, has the hours.</summary>
    public static bool CanServe(Capacity practitioner, Demand demand) =>
        practitioner.Discipline == demand.Discipline && practitioner.Localities.Contains(demand.Locality) && practitioner.Hours >= demand.Hours;

    private static bool Fits(Demand demand, Dictionary<string, decimal> used, IReadOnlyDictionary<string, SettingUse> use) =>
        use.TryGetValue(demand.SettingUrn, out var setting) && used.GetValueOrDefault(demand.SettingUrn) + demand.Hours <= setting.EntitlementHours;

    private static decimal Ratio(string urn, Dictionary<string, decimal> used, IReadOnlyDictionary<string, SettingUse> use) =>
        use.TryGetValue(urn, out var setting) && setting.EntitlementHours > 0 ? used.GetValueOrDefault(urn) / setting.EntitlementHours : decimal.MaxValue;

    // The practitioner with the most hours left spreads load; ties go to the id, for determinism.
    private static Capacity? BestPractitioner(Demand demand, IEnumerable<Capacity> practitioners) =>
        practitioners.Where(p => CanServe(p, demand)).OrderByDescending(p => p.Hours).ThenBy(p => p.PractitionerId, StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The ranking in words a commissioner understands.</summary>
    public static string Explain(Proposal proposal)
    {
        var share = proposal.Ranking.EntitlementHours <= 0
            ? "The setting has no entitlement recorded for this period."
            : $"Before this, the setting had used {proposal.Ranking.UsedHours:0.#} of its {proposal.Ranking.EntitlementHours:0.#} hours ({proposal.Ranking.UseRatio:P0} of its fair share).";
        var slack = proposal.Ranking.SlackWorkingDays switch
        {
            < 0 => $"It was {-proposal.Ranking.SlackWorkingDays} working day(s) past its first-contact standard.",
            0 => "It was due for first contact today.",
            _ => $"It had {proposal.Ranking.SlackWorkingDays} working day(s) left before its first-contact standard.",
        };
        var beyond = proposal.Ranking.BeyondEntitlement
            ? " It takes the setting beyond its entitlement, which happens only when no other setting's waiting request could use this practitioner's time."
            : string.Empty;
        return $"Ranked {proposal.Ranking.Rank}: {proposal.Ranking.Priority} priority. {slack} {share}{beyond}";
    }
}
