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

    public static object Seal(object @event, DataKey key) => EachText(@event, text => SealedText.Seal(text, key));

    /// <summary>The events as people read them: sealed fields opened, or marked erased when their key is gone.</summary>
    public static IReadOnlyList<object> Open(IEnumerable<object> events, KeyRing keys) => [.. events.Select(e => Open(e, keys))];

    public static object Open(object @event, KeyRing keys) => EachText(@event, text => SealedText.Open(text, keys));

    /// <summary>The one list of protected fields: the event with each of them passed through <paramref name="change"/>.</summary>
    private static object EachText(object @event, Func<string, string> change)
    {
        string? N(string? text) => text is null ? null : change(text);
        return @event switch
        {
            RequestRaised e => e with { NeedsSummary = change(e.NeedsSummary), ActionTaken = change(e.ActionTaken), Child = e.Child is { } c ? c with { Reference = change(c.Reference) } : null },
            InformationRequested e => e with { Question = change(e.Question) },
            InformationProvided e => e with { Answer = change(e.Answer) },
            TriageAccepted e => e with { Rationale = change(e.Rationale) },
            RoutedToPathway e => e with { Rationale = change(e.Rationale) },
            TriageDeclined e => e with { Signposting = change(e.Signposting), Rationale = change(e.Rationale) },
            PractitionerAllocated e => e with { OverrideReason = N(e.OverrideReason) },
            RequestClosed e => e with { Note = change(e.Note) },
            RequestReopened e => e with { Reason = change(e.Reason) },
            RequestWithdrawn e => e with { Reason = change(e.Reason) },
            Domain.Feedback.SettingFeedbackGiven e => e with { Comment = N(e.Comment) },
            Domain.Feedback.SettingFeedbackAmended e => e with { Comment = N(e.Comment) },
            Domain.Feedback.FamilyFeedbackGiven e => e with { Comment = N(e.Comment) },
            _ => @event,
        };
    }

    /// <summary>A raise that names the key its details are sealed with, and its child by the key's id (never by the reference).</summary>
    public static RaiseRequest Keyed(RaiseRequest raise, DataKey key) => raise with { DetailsKey = key.Id, ChildKey = raise.Child is null ? null : key.Id.ToString("N") };

    /// <summary>The same for a raise recorded before sealing existed.</summary>
    public static RequestRaised Keyed(RequestRaised raised, DataKey key) => raised with { DetailsKey = key.Id, ChildKey = raised.Child is null ? null : key.Id.ToString("N") };

    /// <summary>The key a request's events are sealed with (named by its first event), or null for a request raised before sealing.</summary>
    public static Guid? KeyOf(IEnumerable<object> events) => events.OfType<RequestRaised>().FirstOrDefault()?.DetailsKey;
}
