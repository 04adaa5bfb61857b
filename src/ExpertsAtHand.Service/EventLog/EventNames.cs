using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;

namespace ExpertsAtHand.Service.EventLog;

/// <summary>
/// Every event type the service stores, under its stable name (request-raised, setting-registered, …):
/// the names in the log are the contract, never the CLR type's.
/// </summary>
public static class EventNames
{
    public static IReadOnlyList<(Type Type, string Name)> All { get; } =
        [.. RequestEventTypes.All, .. SettingDecider.EventTypes, .. PractitionerDecider.EventTypes, .. Domain.Clinics.ClinicDecider.EventTypes, .. Domain.Feedback.FeedbackDecider.EventTypes];

    private static readonly Dictionary<Type, string> NamesByType = All.ToDictionary(e => e.Type, e => e.Name);

    public static string NameOf(Type type) => NamesByType.TryGetValue(type, out var name)
        ? name
        : throw new InvalidOperationException($"Event type {type.FullName} has no stored name; add it to its decider's list.");

    /// <summary>The events of a request's stream, feedback on it included (a read model of requests ignores the rest).</summary>
    public static IReadOnlySet<Type> RequestEvents { get; } =
        RequestEventTypes.All.Select(e => e.Type).Concat(Domain.Feedback.FeedbackDecider.EventTypes.Select(e => e.Type)).Where(t => t != typeof(Domain.Feedback.ServiceChangeRecorded)).ToHashSet();
}
