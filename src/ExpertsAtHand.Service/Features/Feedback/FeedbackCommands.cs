using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Privacy;
using Marten;

namespace ExpertsAtHand.Service.Features.Feedback;

/// <summary>What a feedback command came to.</summary>
public abstract record FeedbackResult
{
    public sealed record Done(long Version, IReadOnlyList<FeedbackView> Feedback) : FeedbackResult;

    public sealed record NotFound : FeedbackResult;

    public sealed record Refused(string Reason) : FeedbackResult;

    public sealed record Stale : FeedbackResult;
}

/// <summary>One piece of feedback on a request, as the people on the case read it (the comment opened).</summary>
public sealed record FeedbackView(
    Guid FeedbackId,
    string Source,
    int Episode,
    SatisfactionRating Rating,
    bool? AdviceUsed,
    string? Comment,
    DateTimeOffset GivenAt,
    DateTimeOffset? AmendedAt,
    IReadOnlyList<FeedbackTheme> Themes);

/// <summary>
/// Runs feedback commands on a request's stream: read it, check the caller may act, decide, seal the
/// comment with the child's key, append after the version read.
/// </summary>
public sealed class FeedbackCommandHandler(IDocumentStore store, DetailKeys keys)
{
    /// <summary>How long a family's code works.</summary>
    public static readonly TimeSpan FamilyCodeLifetime = TimeSpan.FromDays(30);

    /// <summary>Who gives the setting's feedback and hands the family a code: the SENCO of the request's own setting.</summary>
    public static bool IsTheSettingsSenco(Hosting.Caller caller, FeedbackState state) =>
        caller.Is(Hosting.Roles.Senco) && caller.SettingUrns.Contains(state.Request.SettingUrn, StringComparer.Ordinal);

    /// <summary>A comment as recorded: trimmed, and none when nothing was written.</summary>
    public static string? Comment(string? typed) => string.IsNullOrWhiteSpace(typed) ? null : typed.Trim();

    /// <summary>The family's answer, through the invitation their code names: it may be used once.</summary>
    public Task<FeedbackResult> GiveFamilyAsync(FamilyCode code, SatisfactionRating rating, string? comment, DateTimeOffset now, CancellationToken cancellationToken) =>
        HandleAsync(code.Tenant, "family", code.RequestId, _ => true, new GiveFamilyFeedback(Guid.CreateVersion7(), code.InvitationId, rating, Comment(comment), now), cancellationToken);

    /// <summary>
    /// The setting's SENCO asks the family: a new invitation whose short code is returned once (only its
    /// hash is recorded), with the code's meaning for the API to sign as a link.
    /// </summary>
    public async Task<(FeedbackResult Result, FamilyCode Code, string ShortCode)> InviteFamilyAsync(Hosting.Caller caller, Guid requestId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var shortCode = FamilyFeedbackCodes.NewShortCode();
        // Whole seconds: the signed code carries the expiry as Unix seconds and must read back the same.
        var code = new FamilyCode(caller.Tenant, requestId, Guid.CreateVersion7(), DateTimeOffset.FromUnixTimeSeconds((now + FamilyCodeLifetime).ToUnixTimeSeconds()));
        var result = await HandleAsync(caller.Tenant, caller.Actor, requestId, state => IsTheSettingsSenco(caller, state),
            new InviteFamilyFeedback(code.InvitationId, code.ExpiresAt, FamilyFeedbackCodes.HashOfShort(shortCode), caller.Actor, now), cancellationToken).ConfigureAwait(false);
        return (result, code, shortCode);
    }

    /// <param name="mayAct">Whether the caller may act on this request (its setting's SENCO, the area's coordinators).</param>
    public async Task<FeedbackResult> HandleAsync(string tenant, string actor, Guid requestId, Func<FeedbackState, bool> mayAct, FeedbackCommand command, CancellationToken cancellationToken)
    {
        await using var session = store.OpenFor(tenant, actor);
        var (events, version) = await session.ReadStreamAsync(requestId, cancellationToken).ConfigureAwait(false);
        var history = events.Select(e => e.Data).ToList();
        var state = FeedbackDecider.Fold(history);
        if (!state.Request.Exists || !mayAct(state))
        {
            return new FeedbackResult.NotFound();
        }

        if (state.Request.DetailsErased)
        {
            return new FeedbackResult.Refused("This request's details were erased: no feedback can be added to it.");
        }

        var decision = FeedbackDecider.Decide(command, state);
        if (decision.IsRejected)
        {
            return new FeedbackResult.Refused(decision.Rejection!);
        }

        var (key, ring) = await keys.RequestKeyAsync(tenant, history, cancellationToken).ConfigureAwait(false);
        session.AppendAfter(requestId, version, key is null ? decision.Events : RequestDetailSealing.Seal(decision.Events, key));
        try
        {
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception conflict) when (AreaSessions.IsConflict(conflict))
        {
            return new FeedbackResult.Stale();
        }

        var opened = RequestDetailSealing.Open([.. history, .. decision.Events], ring);
        return new FeedbackResult.Done(version + decision.Events.Count, Views(opened));
    }

    /// <summary>Every piece of feedback in a request's (opened) events, oldest first, as amended and tagged since.</summary>
    public static IReadOnlyList<FeedbackView> Views(IReadOnlyList<object> events)
    {
        var views = new List<FeedbackView>();
        foreach (var e in events)
        {
            switch (e)
            {
                case SettingFeedbackGiven given:
                    views.Add(new FeedbackView(given.FeedbackId, "Setting", given.Episode, given.Rating, given.AdviceUsed, given.Comment, given.At, null, []));
                    break;
                case FamilyFeedbackGiven family:
                    views.Add(new FeedbackView(family.FeedbackId, "Family", family.Episode, family.Rating, null, family.Comment, family.At, null, []));
                    break;
                case SettingFeedbackAmended amended:
                    Replace(views, amended.FeedbackId, v => v with { Rating = amended.Rating, AdviceUsed = amended.AdviceUsed, Comment = amended.Comment, AmendedAt = amended.At });
                    break;
                case FeedbackThemesTagged tagged:
                    Replace(views, tagged.FeedbackId, v => v with { Themes = tagged.Themes });
                    break;
            }
        }

        return views;
    }

    private static void Replace(List<FeedbackView> views, Guid id, Func<FeedbackView, FeedbackView> change)
    {
        var index = views.FindIndex(v => v.FeedbackId == id);
        if (index >= 0)
        {
            views[index] = change(views[index]);
        }
    }
}
