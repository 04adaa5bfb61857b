using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Privacy;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Marten;

namespace ExpertsAtHand.Service.Features.Feedback;

public sealed record SettingFeedbackBody(SatisfactionRating? Rating, bool? AdviceUsed = null, string? Comment = null);

public sealed record FamilyFeedbackBody(SatisfactionRating? Rating, string? Comment = null);

public sealed record ThemesBody(IReadOnlyList<FeedbackTheme>? Themes);

/// <summary>The codes to hand a family: a link to open, or a short code to type; shown once, kept by the service only as hashes.</summary>
public sealed record FamilyInvitation(Guid InvitationId, string Link, string Code, string ShortCode, DateTimeOffset ExpiresAt);

/// <summary>What the family's form asks, and nothing about the child.</summary>
public sealed record FamilyFeedbackForm(string Question, IReadOnlyList<SatisfactionRating> Answers, string CommentQuestion, DateTimeOffset ExpiresAt);

public sealed record FamilyFeedbackThanks(string Message);

internal sealed class SettingFeedbackValidator : AbstractValidator<SettingFeedbackBody>
{
    public SettingFeedbackValidator()
    {
        RuleFor(x => x.Rating).NotNull().WithMessage("How satisfied the setting was: VerySatisfied, Satisfied, NeitherSatisfiedNorDissatisfied, Dissatisfied or VeryDissatisfied.");
        RuleFor(x => x.Comment).MaximumLength(2_000);
    }
}

internal sealed class FamilyFeedbackValidator : AbstractValidator<FamilyFeedbackBody>
{
    public FamilyFeedbackValidator()
    {
        RuleFor(x => x.Rating).NotNull().WithMessage("Choose how satisfied you were with the support.");
        RuleFor(x => x.Comment).MaximumLength(2_000).WithMessage("Your comment must be 2,000 characters or fewer.");
    }
}

internal sealed class ThemesValidator : AbstractValidator<ThemesBody>
{
    public ThemesValidator() => RuleFor(x => x.Themes).NotNull().Must(t => t!.Count <= 7).WithMessage("The themes this feedback is about (an empty list clears them).");
}

/// <summary>
/// Satisfaction from the people the support was for: the setting answers once per episode (amendable
/// for 30 days), the family through a single-use code needing no account, and coordinators tag themes.
/// </summary>
/// <summary>What the family's form says, the same in the API and on the family's page.</summary>
public static class FamilyFeedbackWords
{
    public const string Question = "Overall, how did you feel about the support your child's school, nursery or college asked for?";
    public const string CommentQuestion = "Is there anything you would like to tell us about it? (optional — please do not include names)";
    public const string Thanks = "Thank you: your feedback has been recorded. The code will not work again.";
    public const string UnknownCode = "We do not recognise this code";
    public const string UnknownCodeDetail = "Check the code, or ask the school, nursery or college for a new one.";
    public const string ExpiredCode = "This code has expired";
    public const string ExpiredCodeDetail = "Codes last 30 days. Ask the school, nursery or college for a new one.";
    public const string SendAgain = "Something else was saved at the same moment.";
}

public static class FeedbackEndpoints
{

    public static IEndpointRouteBuilder MapFeedback(this IEndpointRouteBuilder endpoints)
    {
        var onRequest = endpoints.MapGroup("/api/requests/{id:guid}").WithTags("Feedback").RequireAuthorization("member")
            .WithMetadata(new AccessLog.ReadsChildRecords("request"))
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        onRequest.MapGet("/feedback", ListAsync).WithName("RequestFeedback").WithSummary("The feedback on a request, from its setting and its family, with its themes: for the setting's SENCO and the area's coordinators.")
            .Produces<IReadOnlyList<FeedbackView>>();
        onRequest.MapPost("/feedback", GiveAsync).WithName("GiveSettingFeedback").WithSummary("The setting's SENCO says how satisfied they were with the support, once per episode, once the request is closed.")
            .Produces<IReadOnlyList<FeedbackView>>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        onRequest.MapPut("/feedback", AmendAsync).WithName("AmendSettingFeedback").WithSummary("The setting's SENCO amends their feedback on the current episode, within 30 days of giving it.")
            .Produces<IReadOnlyList<FeedbackView>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        onRequest.MapPost("/family-feedback-invitations", InviteAsync).WithName("InviteFamilyFeedback")
            .WithSummary("The setting's SENCO gets a single-use code to hand the family (a link and a printable short code), valid 30 days; a new code replaces an unused one.")
            .Produces<FamilyInvitation>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict);
        onRequest.MapPut("/feedback/{feedbackId:guid}/themes", TagAsync).WithName("TagFeedbackThemes").WithSummary("A coordinator tags what a piece of feedback is about; commissioners see the themes, never the words.")
            .Produces<IReadOnlyList<FeedbackView>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        var family = endpoints.MapGroup("/api/family-feedback/{code}").WithTags("Feedback").AllowAnonymous()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone);
        family.MapGet("/", FamilyFormAsync).WithName("FamilyFeedbackForm").WithSummary("What the family's form asks, for a code the setting handed them (no account needed).")
            .Produces<FamilyFeedbackForm>();
        family.MapPost("/", FamilyGiveAsync).WithName("GiveFamilyFeedback").WithSummary("The family's answer: how satisfied they were and, if they wish, a comment. The code then stops working.")
            .Produces<FamilyFeedbackThanks>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<IResult> ListAsync(Guid id, HttpContext http, IDocumentStore store, DetailKeys keys, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Senco, Roles.Coordinator))
        {
            return Problems.Forbidden("Feedback on a request is for its setting's SENCO and the area's coordinators.");
        }

        await using var session = store.QuerySession(caller.Tenant);
        var events = (await session.Events.FetchStreamAsync(id, token: cancellationToken).ConfigureAwait(false)).Select(e => e.Data).ToList();
        var state = FeedbackDecider.Fold(events);
        if (!state.Request.Exists || (caller.Is(Roles.Senco) && !FeedbackCommandHandler.IsTheSettingsSenco(caller, state)))
        {
            return Problems.NotFound("request");
        }

        return TypedResults.Ok(FeedbackCommandHandler.Views(await keys.OpenAsync(caller.Tenant, events, cancellationToken).ConfigureAwait(false)));
    }

    private static async Task<IResult> GiveAsync(Guid id, SettingFeedbackBody? body, HttpContext http, IValidator<SettingFeedbackBody> validator, FeedbackCommandHandler handler, TimeProvider clock, CancellationToken cancellationToken) =>
        await SencoAsync(http, validator, body, cancellationToken).ConfigureAwait(false) is { } refused
            ? refused
            : Answer(
                await handler.HandleAsync(Caller.From(http.User)!.Tenant, Caller.From(http.User)!.Actor, id, s => FeedbackCommandHandler.IsTheSettingsSenco(Caller.From(http.User)!, s),
                    new GiveSettingFeedback(Guid.CreateVersion7(), body!.Rating!.Value, body.AdviceUsed, FeedbackCommandHandler.Comment(body.Comment), Caller.From(http.User)!.Actor, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false),
                http,
                StatusCodes.Status201Created);

    private static async Task<IResult> AmendAsync(Guid id, SettingFeedbackBody? body, HttpContext http, IValidator<SettingFeedbackBody> validator, FeedbackCommandHandler handler, TimeProvider clock, CancellationToken cancellationToken) =>
        await SencoAsync(http, validator, body, cancellationToken).ConfigureAwait(false) is { } refused
            ? refused
            : Answer(
                await handler.HandleAsync(Caller.From(http.User)!.Tenant, Caller.From(http.User)!.Actor, id, s => FeedbackCommandHandler.IsTheSettingsSenco(Caller.From(http.User)!, s),
                    new AmendSettingFeedback(body!.Rating!.Value, body.AdviceUsed, FeedbackCommandHandler.Comment(body.Comment), Caller.From(http.User)!.Actor, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false),
                http,
                StatusCodes.Status200OK);

    private static async Task<IResult> InviteAsync(Guid id, HttpContext http, FeedbackCommandHandler handler, FamilyFeedbackCodes codes, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Senco))
        {
            return Problems.Forbidden("The setting's SENCO hands the family their code.");
        }

        var (result, invited, shortCode) = await handler.InviteFamilyAsync(caller, id, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (result is not FeedbackResult.Done)
        {
            return Answer(result, http, StatusCodes.Status201Created);
        }

        var code = await codes.SignAsync(invited, cancellationToken).ConfigureAwait(false);
        var link = $"/api/family-feedback/{code}";
        return TypedResults.Created(link, new FamilyInvitation(invited.InvitationId, link, code, shortCode, invited.ExpiresAt));
    }

    private static async Task<IResult> TagAsync(Guid id, Guid feedbackId, ThemesBody? body, HttpContext http, IValidator<ThemesBody> validator, FeedbackCommandHandler handler, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("Coordinators tag feedback with its themes.");
        }

        if (await HttpConventions.ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        return Answer(
            await handler.HandleAsync(caller.Tenant, caller.Actor, id, _ => true, new TagFeedbackThemes(feedbackId, body!.Themes!, caller.Actor, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false),
            http,
            StatusCodes.Status200OK);
    }

    private static async Task<IResult> FamilyFormAsync(string code, FamilyFeedbackCodes codes, TimeProvider clock, CancellationToken cancellationToken) =>
        await codes.ReadOpenAsync(code, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false) switch
        {
            ({ } read, _) => TypedResults.Ok(new FamilyFeedbackForm(
                FamilyFeedbackWords.Question,
                Enum.GetValues<SatisfactionRating>(),
                FamilyFeedbackWords.CommentQuestion,
                read.ExpiresAt)),
            (_, true) => ExpiredCode(),
            _ => (IResult)UnknownCode(),
        };

    private static async Task<IResult> FamilyGiveAsync(string code, FamilyFeedbackBody? body, IValidator<FamilyFeedbackBody> validator, FamilyFeedbackCodes codes, FeedbackCommandHandler handler, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (read, expired) = await codes.ReadOpenAsync(code, now, cancellationToken).ConfigureAwait(false);
        if (read is null)
        {
            return expired ? ExpiredCode() : UnknownCode();
        }

        if (await HttpConventions.ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        return await handler.GiveFamilyAsync(read, body!.Rating!.Value, body.Comment, now, cancellationToken).ConfigureAwait(false) switch
        {
            FeedbackResult.Done => TypedResults.Created((string?)null, new FamilyFeedbackThanks(FamilyFeedbackWords.Thanks)),
            FeedbackResult.Refused refused => TypedResults.Problem(title: "This code cannot be used", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict),
            FeedbackResult.Stale => TypedResults.Problem(title: "Please send your answer again", detail: FamilyFeedbackWords.SendAgain, statusCode: StatusCodes.Status409Conflict),
            _ => UnknownCode(),
        };
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult UnknownCode() =>
        TypedResults.Problem(title: FamilyFeedbackWords.UnknownCode, detail: FamilyFeedbackWords.UnknownCodeDetail, statusCode: StatusCodes.Status404NotFound);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ExpiredCode() =>
        TypedResults.Problem(title: FamilyFeedbackWords.ExpiredCode, detail: FamilyFeedbackWords.ExpiredCodeDetail, statusCode: StatusCodes.Status410Gone);

    private static async Task<IResult?> SencoAsync<T>(HttpContext http, IValidator<T> validator, T? body, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        return !caller.Is(Roles.Senco)
            ? Problems.Forbidden("The setting's SENCO gives the setting's feedback.")
            : await HttpConventions.ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false);
    }

    private static IResult Answer(FeedbackResult result, HttpContext http, int success)
    {
        switch (result)
        {
            case FeedbackResult.Done done:
                HttpConventions.SetVersion(http.Response, done.Version);
                return success == StatusCodes.Status201Created ? TypedResults.Created((string?)null, done.Feedback) : TypedResults.Ok(done.Feedback);
            case FeedbackResult.Refused refused:
                return TypedResults.Problem(title: "That cannot be done to this feedback now", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict);
            case FeedbackResult.Stale:
                return TypedResults.Problem(title: "The request changed while the feedback was being saved", detail: "Nothing was saved. Send it again.", statusCode: StatusCodes.Status409Conflict);
            default:
                return Problems.NotFound("request");
        }
    }
}
