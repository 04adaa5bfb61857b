using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Feedback;

/// <summary>The GOV.UK satisfaction scale, as its feedback pages ask it.</summary>
public enum SatisfactionRating
{
    VerySatisfied,
    Satisfied,
    NeitherSatisfiedNorDissatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

/// <summary>What feedback is about, tagged by coordinators so commissioners can read themes without the words.</summary>
public enum FeedbackTheme
{
    Timeliness,
    Communication,
    QualityOfAdvice,
    EaseOfAsking,
    FamilyInvolvement,
    DifferenceMade,
    Other,
}

// Feedback lives in the request's own stream: it is about an episode of that request, its comments are
// sealed with the child's key, and erasing the child erases them too.

/// <summary>The setting's answer about an episode of support (one per episode, amendable for 30 days).</summary>
public sealed record SettingFeedbackGiven(Guid FeedbackId, int Episode, SatisfactionRating Rating, bool? AdviceUsed, string? Comment, string GivenBy, DateTimeOffset At);

public sealed record SettingFeedbackAmended(Guid FeedbackId, SatisfactionRating Rating, bool? AdviceUsed, string? Comment, string AmendedBy, DateTimeOffset At);

/// <summary>
/// The SENCO handed the family a single-use code. The service keeps only a hash of the printable short
/// code (the signed link code needs none) and nothing about the family.
/// </summary>
public sealed record FamilyFeedbackInvited(Guid InvitationId, int Episode, DateTimeOffset ExpiresAt, string ShortCodeHash, string InvitedBy, DateTimeOffset At);

public sealed record FamilyFeedbackGiven(Guid FeedbackId, Guid InvitationId, int Episode, SatisfactionRating Rating, string? Comment, DateTimeOffset At);

/// <summary>A coordinator's reading of what a piece of feedback is about (replaces any earlier tagging of it).</summary>
public sealed record FeedbackThemesTagged(Guid FeedbackId, IReadOnlyList<FeedbackTheme> Themes, string TaggedBy, DateTimeOffset At);

/// <summary>"You said, we did": what the service changed in answer to a theme, in the coordinator's words (never a comment's).</summary>
public sealed record ServiceChangeRecorded(Guid ChangeId, FeedbackTheme Theme, string YouSaid, string WeDid, string RecordedBy, DateTimeOffset At);

public abstract record FeedbackCommand(string Actor, DateTimeOffset At);

public sealed record GiveSettingFeedback(Guid FeedbackId, SatisfactionRating Rating, bool? AdviceUsed, string? Comment, string Actor, DateTimeOffset At) : FeedbackCommand(Actor, At);

public sealed record AmendSettingFeedback(SatisfactionRating Rating, bool? AdviceUsed, string? Comment, string Actor, DateTimeOffset At) : FeedbackCommand(Actor, At);

public sealed record InviteFamilyFeedback(Guid InvitationId, DateTimeOffset ExpiresAt, string ShortCodeHash, string Actor, DateTimeOffset At) : FeedbackCommand(Actor, At);

public sealed record GiveFamilyFeedback(Guid FeedbackId, Guid InvitationId, SatisfactionRating Rating, string? Comment, DateTimeOffset At) : FeedbackCommand("family", At);

public sealed record TagFeedbackThemes(Guid FeedbackId, IReadOnlyList<FeedbackTheme> Themes, string Actor, DateTimeOffset At) : FeedbackCommand(Actor, At);

/// <summary>What feedback decisions need to know of a request, folded from its stream.</summary>
public sealed record FeedbackState
{
    public RequestState Request { get; init; } = RequestState.Initial;

    /// <summary>The current episode: 1, and one more for each reopening.</summary>
    public int Episode { get; init; } = 1;

    public (Guid Id, DateTimeOffset GivenAt)? SettingAnswer { get; init; }

    public bool FamilyAnswered { get; init; }

    /// <summary>The episode's invitation still open, if any (a new one replaces it).</summary>
    public (Guid Id, DateTimeOffset ExpiresAt)? Invitation { get; init; }

    public IReadOnlySet<Guid> UsedInvitations { get; init; } = new HashSet<Guid>();

    public IReadOnlySet<Guid> FeedbackIds { get; init; } = new HashSet<Guid>();
}

/// <summary>Feedback as two pure functions over the request's stream, beside the request's own decider.</summary>
public static class FeedbackDecider
{
    public static readonly TimeSpan AmendableFor = TimeSpan.FromDays(30);

    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(SettingFeedbackGiven), "setting-feedback-given"),
        (typeof(SettingFeedbackAmended), "setting-feedback-amended"),
        (typeof(FamilyFeedbackInvited), "family-feedback-invited"),
        (typeof(FamilyFeedbackGiven), "family-feedback-given"),
        (typeof(FeedbackThemesTagged), "feedback-themes-tagged"),
        (typeof(ServiceChangeRecorded), "service-change-recorded"),
    ];

    public static FeedbackState Fold(IEnumerable<object> events) => events.Aggregate(new FeedbackState(), Evolve);

    public static FeedbackState Evolve(FeedbackState state, object @event)
    {
        var next = state with { Request = RequestDecider.Evolve(state.Request, @event) };
        return @event switch
        {
            RequestReopened => next with { Episode = state.Episode + 1, SettingAnswer = null, FamilyAnswered = false, Invitation = null },
            SettingFeedbackGiven e => next with { SettingAnswer = (e.FeedbackId, e.At), FeedbackIds = new HashSet<Guid>(state.FeedbackIds) { e.FeedbackId } },
            FamilyFeedbackInvited e => next with { Invitation = (e.InvitationId, e.ExpiresAt) },
            FamilyFeedbackGiven e => next with
            {
                FamilyAnswered = true,
                Invitation = null,
                UsedInvitations = new HashSet<Guid>(state.UsedInvitations) { e.InvitationId },
                FeedbackIds = new HashSet<Guid>(state.FeedbackIds) { e.FeedbackId },
            },
            _ => next,
        };
    }

    public static Decision Decide(FeedbackCommand command, FeedbackState state)
    {
        if (!state.Request.Exists)
        {
            return Decision.Refuse("There is no such request.");
        }

        var finished = state.Request.Status == RequestStatus.Closed;
        return command switch
        {
            GiveSettingFeedback give when !finished => Decision.Refuse("Feedback is asked for once the request is closed."),
            GiveSettingFeedback when state.SettingAnswer is not null => Decision.Refuse("The setting has already given feedback on this episode of support: amend it instead."),
            GiveSettingFeedback give => Decision.Of(new SettingFeedbackGiven(give.FeedbackId, state.Episode, give.Rating, give.AdviceUsed, give.Comment, give.Actor, give.At)),

            AmendSettingFeedback when state.SettingAnswer is null => Decision.Refuse("There is no feedback from the setting on this episode to amend."),
            AmendSettingFeedback amend when amend.At - state.SettingAnswer!.Value.GivenAt > AmendableFor => Decision.Refuse("Feedback can be amended for 30 days after it was given, and that time has passed."),
            AmendSettingFeedback amend => Decision.Of(new SettingFeedbackAmended(state.SettingAnswer!.Value.Id, amend.Rating, amend.AdviceUsed, amend.Comment, amend.Actor, amend.At)),

            InviteFamilyFeedback when !finished => Decision.Refuse("A family is asked for feedback once the request is closed."),
            InviteFamilyFeedback when state.Request.Level != RequestLevel.Individual => Decision.Refuse("Only a request about one child has a family to ask."),
            InviteFamilyFeedback when state.FamilyAnswered => Decision.Refuse("The family has already given feedback on this episode of support."),
            InviteFamilyFeedback invite => Decision.Of(new FamilyFeedbackInvited(invite.InvitationId, state.Episode, invite.ExpiresAt, invite.ShortCodeHash, invite.Actor, invite.At)),

            GiveFamilyFeedback give when state.UsedInvitations.Contains(give.InvitationId) || state.FamilyAnswered => Decision.Refuse("This code has already been used: thank you, your feedback was recorded."),
            GiveFamilyFeedback give when state.Invitation is not { } open || open.Id != give.InvitationId => Decision.Refuse("This code has been replaced by a newer one: ask the setting for it."),
            GiveFamilyFeedback give when give.At > state.Invitation!.Value.ExpiresAt => Decision.Refuse("This code has expired: ask the setting for a new one."),
            GiveFamilyFeedback give => Decision.Of(new FamilyFeedbackGiven(give.FeedbackId, give.InvitationId, state.Episode, give.Rating, give.Comment, give.At)),

            TagFeedbackThemes tag when !state.FeedbackIds.Contains(tag.FeedbackId) => Decision.Refuse("There is no such feedback on this request."),
            TagFeedbackThemes tag => Decision.Of(new FeedbackThemesTagged(tag.FeedbackId, [.. tag.Themes.Distinct()], tag.Actor, tag.At)),

            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown feedback command."),
        };
    }
}
