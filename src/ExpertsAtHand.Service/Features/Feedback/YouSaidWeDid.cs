using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Reports;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Marten;

namespace ExpertsAtHand.Service.Features.Feedback;

public sealed record ServiceChangeBody(FeedbackTheme? Theme, string? YouSaid, string? WeDid);

internal sealed class ServiceChangeValidator : AbstractValidator<ServiceChangeBody>
{
    public ServiceChangeValidator()
    {
        RuleFor(x => x.Theme).NotNull().WithMessage("The theme the change answers.");
        RuleFor(x => x.YouSaid).NotEmpty().MaximumLength(500).WithMessage("What people said, in your words and without names (at most 500 characters).");
        RuleFor(x => x.WeDid).NotEmpty().MaximumLength(500).WithMessage("What the service did about it (at most 500 characters).");
    }
}

/// <summary>"You said, we did": coordinators record what the service changed in answer to a theme; commissioners read the list.</summary>
public static class YouSaidWeDidEndpoints
{
    public static IEndpointRouteBuilder MapYouSaidWeDid(this IEndpointRouteBuilder endpoints)
    {
        var changes = endpoints.MapGroup("/api/you-said-we-did").WithTags("Feedback").RequireAuthorization("member")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        changes.MapPost("/", RecordAsync).WithName("RecordServiceChange").WithSummary("A coordinator records what the service changed in answer to a theme in feedback.")
            .Produces<ServiceChange>(StatusCodes.Status201Created).ProducesValidationProblem();
        changes.MapGet("/", ListAsync).WithName("YouSaidWeDid").WithSummary("What the service changed in answer to feedback, newest first: for coordinators and commissioners.")
            .Produces<IReadOnlyList<ServiceChange>>();
        return endpoints;
    }

    public static Guid StreamFor(string tenant) => Infrastructure.StreamId.For("you-said-we-did", tenant);

    private static async Task<IResult> RecordAsync(ServiceChangeBody? body, HttpContext http, IValidator<ServiceChangeBody> validator, ServiceChanges changes, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("Coordinators record what the service did about feedback.");
        }

        if (await HttpConventions.ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        return TypedResults.Created((string?)null, await changes.RecordAsync(caller, body!, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ListAsync(HttpContext http, ServiceChanges changes, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("\"You said, we did\" is for coordinators and commissioners.");
        }

        return TypedResults.Ok(await changes.ListAsync(caller.Tenant, cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>The area's "you said, we did" stream: recording a change and listing them, for the API and the pages.</summary>
public sealed class ServiceChanges(IDocumentStore store, Requests.RequestRulesCatalog rules, TimeProvider clock)
{
    /// <summary>A change only adds to the area's stream: appended whatever its version, it never conflicts.</summary>
    public async Task<ServiceChange> RecordAsync(Caller caller, ServiceChangeBody body, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var change = new ServiceChangeRecorded(Guid.CreateVersion7(), body.Theme!.Value, body.YouSaid!.Trim(), body.WeDid!.Trim(), caller.Actor, now);
        await using var session = store.OpenFor(caller.Tenant, caller.Actor);
        session.AppendAnyway(YouSaidWeDidEndpoints.StreamFor(caller.Tenant), change);
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new ServiceChange(change.Theme, change.YouSaid, change.WeDid, rules.For(caller.Tenant).LocalDate(now));
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<ServiceChange>> ListAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession(tenant);
        var events = await session.Events.FetchStreamAsync(YouSaidWeDidEndpoints.StreamFor(tenant), token: cancellationToken).ConfigureAwait(false);
        return [.. events.Select(e => e.Data).OfType<ServiceChangeRecorded>().Reverse().Select(c => new ServiceChange(c.Theme, c.YouSaid, c.WeDid, rules.For(tenant).LocalDate(c.At)))];
    }
}
