using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// Which fields of the request events are the child's details or free text about them, sealed before
/// an event is stored and opened as it is read. Everything counts, clocks and reports need (dates,
/// levels, disciplines, outcomes, year group, SEN status) stays plain, so erasure never moves a figure.
/// </summary>
public static class RequestDetailSealing
{
    public static IReadOnlyList<object> Seal(IReadOnlyList<object> events, DataKey key) => [.. events.Select(e => Seal(e, key))];

    public static object Seal(object @event, DataKey key)
    {
        string S(string text) => SealedText.Seal(text, key);
        string? N(string? text) => text is null ? null : S(text);
        return @event switch
        {
            RequestRaised e => e with { NeedsSummary = S(e.NeedsSummary), ActionTaken = S(e.ActionTaken), Child = e.Child is { } c ? c with { Reference = S(c.Reference) } : null },
            InformationRequested e => e with { Question = S(e.Question) },
            InformationProvided e => e with { Answer = S(e.Answer) },
            TriageAccepted e => e with { Rationale = S(e.Rationale) },
            RoutedToPathway e => e with { Rationale = S(e.Rationale) },
            TriageDeclined e => e with { Signposting = S(e.Signposting), Rationale = S(e.Rationale) },
            PractitionerAllocated e => e with { OverrideReason = N(e.OverrideReason) },
            RequestClosed e => e with { Note = S(e.Note) },
            RequestReopened e => e with { Reason = S(e.Reason) },
            RequestWithdrawn e => e with { Reason = S(e.Reason) },
            Domain.Feedback.SettingFeedbackGiven e => e with { Comment = N(e.Comment) },
            Domain.Feedback.SettingFeedbackAmended e => e with { Comment = N(e.Comment) },
            Domain.Feedback.FamilyFeedbackGiven e => e with { Comment = N(e.Comment) },
            _ => @event,
        };
    }

    /// <summary>The events as people read them: sealed fields opened, or marked erased when their key is gone.</summary>
    public static IReadOnlyList<object> Open(IEnumerable<object> events, KeyRing keys) => [.. events.Select(e => Open(e, keys))];

    public static object Open(object @event, KeyRing keys)
    {
        string O(string text) => SealedText.Open(text, keys);
        string? N(string? text) => text is null ? null : O(text);
        return @event switch
        {
            RequestRaised e => e with { NeedsSummary = O(e.NeedsSummary), ActionTaken = O(e.ActionTaken), Child = e.Child is { } c ? c with { Reference = O(c.Reference) } : null },
            InformationRequested e => e with { Question = O(e.Question) },
            InformationProvided e => e with { Answer = O(e.Answer) },
            TriageAccepted e => e with { Rationale = O(e.Rationale) },
            RoutedToPathway e => e with { Rationale = O(e.Rationale) },
            TriageDeclined e => e with { Signposting = O(e.Signposting), Rationale = O(e.Rationale) },
            PractitionerAllocated e => e with { OverrideReason = N(e.OverrideReason) },
            RequestClosed e => e with { Note = O(e.Note) },
            RequestReopened e => e with { Reason = O(e.Reason) },
            RequestWithdrawn e => e with { Reason = O(e.Reason) },
            Domain.Feedback.SettingFeedbackGiven e => e with { Comment = N(e.Comment) },
            Domain.Feedback.SettingFeedbackAmended e => e with { Comment = N(e.Comment) },
            Domain.Feedback.FamilyFeedbackGiven e => e with { Comment = N(e.Comment) },
            _ => @event,
        };
    }

    /// <summary>The key a request's events are sealed with (named by its first event), or null for a request raised before sealing.</summary>
    public static Guid? KeyOf(IEnumerable<object> events) => events.OfType<RequestRaised>().FirstOrDefault()?.DetailsKey;
}
