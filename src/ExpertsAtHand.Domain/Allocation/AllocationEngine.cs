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
/// setting that asks often cannot crowd out one that asks rarely. Priority by priority, a first pass
/// gives no setting more than its entitlement and a second lets spare time take a setting up to the
/// tolerance; a last pass hands capacity that would otherwise sit idle to the demand still waiting
/// (work-conserving). Pure and deterministic: the same inputs in any order give the same proposals.
/// </summary>
public static class AllocationEngine
{
    /// <summary>
    /// How far past its share spare time may take a setting before time that would otherwise sit idle
    /// does: 1.1 keeps every setting within 110% of its pro-rata share while others wait (see simulate).
    /// </summary>
    public const decimal DefaultTolerance = 1.1m;

    public static AllocationResult Propose(IReadOnlyList<Demand> demand, IReadOnlyList<Capacity> capacity, IReadOnlyDictionary<string, SettingUse> use, decimal tolerance = DefaultTolerance)
    {
        var remaining = capacity
            .GroupBy(c => c.PractitionerId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First() with { Hours = g.Sum(c => Math.Max(0, c.Hours)) }, StringComparer.Ordinal);
        var used = use.ToDictionary(u => u.Key, u => u.Value.UsedHours, StringComparer.Ordinal);
        var waiting = demand.Where(d => d.Hours > 0).ToList();
        var proposals = new List<Proposal>();

        // Three passes: within share; then spare time up to the tolerance; then, so nothing sits idle, any.
        foreach (var (limit, only) in Passes(tolerance))
        {
            var withinEntitlement = limit == 1m;
            var later = only is { } priority ? waiting.Where(d => d.Priority != priority).ToList() : [];
            if (only is { } taking)
            {
                waiting = [.. waiting.Where(d => d.Priority == taking)];
            }

            // Capacity and room within entitlement only shrink during a pass, so a request that cannot
            // be placed now cannot be placed later in the pass: set it aside rather than look again.
            // Beyond entitlement, share comes before slack: otherwise the setting with the longest
            // backlog (the one that asks most) would take every spare hour.
            var queue = new SortedSet<Ranked>(withinEntitlement ? RankOrder.WithinShare : RankOrder.BeyondShare);
            var bySetting = new Dictionary<string, List<Ranked>>(StringComparer.Ordinal);
            // Within share a request ranks by where its setting stands; beyond share by where the
            // setting would stand after it, so a small setting is not pushed far past its share
            // one coarse session at a time.
            decimal RankRatio(Demand d) => Ratio(d.SettingUrn, used, use, withinEntitlement ? 0 : d.Hours);
            foreach (var d in waiting)
            {
                var ranked = new Ranked(d, RankRatio(d));
                queue.Add(ranked);
                AddToGroup(bySetting, d.SettingUrn, ranked);
            }

            var setAside = new List<Demand>();
            while (queue.Count > 0)
            {
                var best = queue.Min!;
                queue.Remove(best);
                bySetting[best.Demand.SettingUrn].Remove(best);
                var chosen = best.Demand;
                var practitioner = limit != decimal.MaxValue && !Fits(chosen, used, use, limit) ? null : BestPractitioner(chosen, remaining.Values);
                if (practitioner is null)
                {
                    setAside.Add(chosen);
                    continue;
                }

                var entitlement = use.TryGetValue(chosen.SettingUrn, out var setting) ? setting.EntitlementHours : 0;
                var before = used.GetValueOrDefault(chosen.SettingUrn);
                proposals.Add(new Proposal(
                    chosen.RequestId,
                    chosen.SettingUrn,
                    practitioner.PractitionerId,
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

                // The setting's share has moved: its other requests re-rank.
                var siblings = bySetting[chosen.SettingUrn];
                for (var i = 0; i < siblings.Count; i++)
                {
                    queue.Remove(siblings[i]);
                    siblings[i] = siblings[i] with { Ratio = RankRatio(siblings[i].Demand) };
                    queue.Add(siblings[i]);
                }
            }

            waiting = [.. setAside, .. later];
        }

        return new AllocationResult(proposals, [.. waiting.OrderBy(d => d.RequestId)], remaining.ToDictionary(r => r.Key, r => r.Value.Hours, StringComparer.Ordinal));
    }

    /// <summary>
    /// Priority first: each priority in turn is offered time within share, then spare time up to the
    /// tolerance, before the next priority is looked at, so an urgent request is never kept waiting by
    /// another setting's routine one. Last, so no capacity sits idle, anyone waiting, in rank order.
    /// </summary>
    private static IEnumerable<(decimal Limit, Priority? Only)> Passes(decimal tolerance)
    {
        foreach (var priority in Enum.GetValues<Priority>())
        {
            yield return (1m, priority);
            yield return (Math.Max(1m, tolerance), priority);
        }

        yield return (decimal.MaxValue, null);
    }

    private static void AddToGroup(Dictionary<string, List<Ranked>> groups, string key, Ranked value)
    {
        if (!groups.TryGetValue(key, out var list))
        {
            groups[key] = list = [];
        }

        list.Add(value);
    }

    private sealed record Ranked(Demand Demand, decimal Ratio);

    /// <summary>
    /// Within share: priority, then least slack, then furthest below fair share. Beyond share:
    /// priority, then least beyond share, then slack. Then longest waiting, then id: a total order.
    /// </summary>
    private sealed class RankOrder(bool shareBeforeSlack) : IComparer<Ranked>
    {
        public static readonly RankOrder WithinShare = new(false);
        public static readonly RankOrder BeyondShare = new(true);

        public int Compare(Ranked? x, Ranked? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            var order = x.Demand.Priority.CompareTo(y.Demand.Priority);
            var slack = x.Demand.SlackWorkingDays.CompareTo(y.Demand.SlackWorkingDays);
            var share = x.Ratio.CompareTo(y.Ratio);
            if (order == 0)
            {
                order = shareBeforeSlack ? share : slack;
            }

            if (order == 0)
            {
                order = shareBeforeSlack ? slack : share;
            }

            if (order == 0)
            {
                order = x.Demand.AcceptedAt.CompareTo(y.Demand.AcceptedAt);
            }

            return order != 0 ? order : x.Demand.RequestId.CompareTo(y.Demand.RequestId);
        }
    }

    /// <summary>Whether <paramref name="practitioner"/> can take <paramref name="demand"/>: same discipline, covers the locality, has the hours.</summary>
    public static bool CanServe(Capacity practitioner, Demand demand) =>
        practitioner.Discipline == demand.Discipline && practitioner.Localities.Contains(demand.Locality) && practitioner.Hours >= demand.Hours;

    private static bool Fits(Demand demand, Dictionary<string, decimal> used, IReadOnlyDictionary<string, SettingUse> use, decimal limit) =>
        use.TryGetValue(demand.SettingUrn, out var setting) && used.GetValueOrDefault(demand.SettingUrn) + demand.Hours <= setting.EntitlementHours * limit;

    private static decimal Ratio(string urn, Dictionary<string, decimal> used, IReadOnlyDictionary<string, SettingUse> use, decimal adding = 0) =>
        use.TryGetValue(urn, out var setting) && setting.EntitlementHours > 0 ? (used.GetValueOrDefault(urn) + adding) / setting.EntitlementHours : decimal.MaxValue;

    // The practitioner with the most hours left spreads load; ties go to the id, for determinism.
    private static Capacity? BestPractitioner(Demand demand, IEnumerable<Capacity> practitioners) =>
        practitioners.Where(p => CanServe(p, demand)).OrderByDescending(p => p.Hours).ThenBy(p => p.PractitionerId, StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The ranking in words a commissioner understands.</summary>
    public static string Explain(Proposal proposal) => Explain(proposal.Ranking, null);

    /// <summary>A recorded allocation in words: what ranked it, or why the coordinator chose otherwise.</summary>
    public static string Explain(RankingInputs ranking, string? overrideReason)
    {
        if (overrideReason is not null)
        {
            return $"Allocated by a coordinator's override, not the engine's suggestion: {overrideReason}. At the time the request was {ranking.Priority} priority with {ranking.SlackWorkingDays} working day(s) left, and the setting had used {ranking.UsedHours:0.#} of {ranking.EntitlementHours:0.#} hours.";
        }

        var share = ranking.EntitlementHours <= 0
            ? "The setting has no entitlement recorded for this period."
            : $"Before this, the setting had used {ranking.UsedHours:0.#} of its {ranking.EntitlementHours:0.#} hours ({ranking.UseRatio:P0} of its fair share).";
        var slack = ranking.SlackWorkingDays switch
        {
            < 0 => $"It was {-ranking.SlackWorkingDays} working day(s) past its first-contact standard.",
            0 => "It was due for first contact today.",
            _ => $"It had {ranking.SlackWorkingDays} working day(s) left before its first-contact standard.",
        };
        var beyond = ranking.BeyondEntitlement
            ? " It takes the setting beyond its entitlement, which happens only when no other setting's waiting request could use this practitioner's time; among such requests, the setting least beyond its share goes first."
            : string.Empty;
        return $"Ranked {ranking.Rank}: {ranking.Priority} priority. {slack} {share}{beyond}";
    }
}
