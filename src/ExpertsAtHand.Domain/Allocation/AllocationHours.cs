using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Allocation;

/// <summary>Practitioner hours an accepted request is planned for, by the support agreed at triage.</summary>
public static class AllocationHours
{
    public static decimal For(SupportType support) => support switch
    {
        SupportType.Consultation => 3m, // an EP "session"
        SupportType.GroupSupport => 6.5m, // a practitioner day
        SupportType.Training => 6.5m,
        _ => 13m, // targeted intervention: two days
    };
}
