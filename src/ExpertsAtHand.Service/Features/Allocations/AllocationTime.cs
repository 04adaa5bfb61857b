namespace ExpertsAtHand.Service.Features.Allocations;

/// <summary>How much practitioner time an allocation holds, for capacity and use-of-share figures.</summary>
public static class AllocationTime
{
    /// <summary>
    /// SQL over rm_allocations aliased <c>a</c>: an active allocation holds its hours (or what was
    /// delivered, if more); a released one holds only what was delivered on it.
    /// </summary>
    public const string HeldHours = "CASE WHEN a.active THEN greatest(a.hours, a.used_hours) ELSE a.used_hours END";
}
