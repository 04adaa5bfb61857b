using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Domain.Tests;

/// <summary>Feedback decisions over a request's real stream: once per episode, amendable for 30 days, family codes used once.</summary>
public sealed class FeedbackDecisionTests
{
    private static readonly DateOnly Monday = new(2026, 10, 5);

    /// <summary>An individual request raised, accepted and closed on <see cref="Monday"/>.</summary>
    private static List<object> ClosedIndividualRequest()
    {
        var request = new RequestBuilder().Apply(RequestBuilder.Raise(Monday, RequestLevel.Individual, child: new ChildDetails("AB-123", 3, SenStatus.SenSupport, true)));
        request.Apply(new AcceptRequest(SupportType.Consultation, [Discipline.EducationalPsychology], Priority.Routine, "Meets the threshold.", "coordinator:1", RequestBuilder.On(Monday)));
        request.Apply(new CloseRequest(ClosureOutcome.NeedsMetInSetting, "Done.", "coordinator:1", RequestBuilder.On(Monday)));
        return [.. request.Events];
    }

    private static Decision Decide(List<object> events, FeedbackCommand command)
    {
        var decision = FeedbackDecider.Decide(command, FeedbackDecider.Fold(events));
        events.AddRange(decision.Events);
        return decision;
    }

    [Fact]
    public void A_setting_answers_once_per_episode_and_amends_only_within_thirty_days()
    {
        var events = ClosedIndividualRequest();
        var at = RequestBuilder.On(Monday);
        Assert.False(Decide(events, new GiveSettingFeedback(Guid.NewGuid(), SatisfactionRating.Satisfied, true, null, "senco:1", at)).IsRejected);
        Assert.True(Decide(events, new GiveSettingFeedback(Guid.NewGuid(), SatisfactionRating.Satisfied, true, null, "senco:1", at)).IsRejected);
        Assert.False(Decide(events, new AmendSettingFeedback(SatisfactionRating.VerySatisfied, true, null, "senco:1", at.AddDays(30))).IsRejected);
        Assert.True(Decide(events, new AmendSettingFeedback(SatisfactionRating.Dissatisfied, true, null, "senco:1", at.AddDays(30).AddMinutes(1))).IsRejected);
    }

    [Fact]
    public void A_reopened_request_is_a_new_episode_asked_afresh()
    {
        var events = ClosedIndividualRequest();
        var at = RequestBuilder.On(Monday);
        Decide(events, new GiveSettingFeedback(Guid.NewGuid(), SatisfactionRating.Satisfied, true, null, "senco:1", at));
        events.AddRange(RequestDecider.Decide(new ReopenRequest("Back again.", "coordinator:1", at.AddDays(1)), RequestDecider.Fold(events), RequestBuilder.Rules).Events);
        Assert.True(Decide(events, new GiveSettingFeedback(Guid.NewGuid(), SatisfactionRating.Satisfied, true, null, "senco:1", at.AddDays(1))).IsRejected); // open again: not yet
        events.AddRange(RequestDecider.Decide(new AcceptRequest(SupportType.Consultation, [Discipline.EducationalPsychology], Priority.Routine, "Again.", "coordinator:1", at.AddDays(2)), RequestDecider.Fold(events), RequestBuilder.Rules).Events);
        events.AddRange(RequestDecider.Decide(new CloseRequest(ClosureOutcome.NeedsMetInSetting, "Done again.", "coordinator:1", at.AddDays(3)), RequestDecider.Fold(events), RequestBuilder.Rules).Events);
        var second = Decide(events, new GiveSettingFeedback(Guid.NewGuid(), SatisfactionRating.Dissatisfied, false, null, "senco:1", at.AddDays(4)));
        Assert.Equal(2, Assert.IsType<SettingFeedbackGiven>(Assert.Single(second.Events)).Episode);
    }

    [Fact]
    public void A_family_code_is_used_once_before_it_expires_and_a_newer_code_replaces_an_unused_one()
    {
        var events = ClosedIndividualRequest();
        var at = RequestBuilder.On(Monday);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        Decide(events, new InviteFamilyFeedback(first, at.AddDays(30), "hash-1", "senco:1", at));
        Decide(events, new InviteFamilyFeedback(second, at.AddDays(31), "hash-2", "senco:1", at.AddDays(1)));
        Assert.Contains("replaced", Decide(events, new GiveFamilyFeedback(Guid.NewGuid(), first, SatisfactionRating.Satisfied, null, at.AddDays(2))).Rejection, StringComparison.Ordinal);
        Assert.Contains("expired", Decide(events, new GiveFamilyFeedback(Guid.NewGuid(), second, SatisfactionRating.Satisfied, null, at.AddDays(32))).Rejection, StringComparison.Ordinal);
        Assert.False(Decide(events, new GiveFamilyFeedback(Guid.NewGuid(), second, SatisfactionRating.Satisfied, null, at.AddDays(3))).IsRejected);
        Assert.Contains("already been used", Decide(events, new GiveFamilyFeedback(Guid.NewGuid(), second, SatisfactionRating.Satisfied, null, at.AddDays(4))).Rejection, StringComparison.Ordinal);
        Assert.True(Decide(events, new InviteFamilyFeedback(Guid.NewGuid(), at.AddDays(40), "hash-3", "senco:1", at.AddDays(5))).IsRejected);
    }
}
