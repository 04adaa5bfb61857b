using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Features.Admin;

/// <summary>Messages that failed for good, for an administrator of the same local area to replay or discard.</summary>
public static class DeadLetterEndpoints
{
    public static IEndpointRouteBuilder MapDeadLetters(this IEndpointRouteBuilder endpoints)
    {
        var letters = endpoints.MapGroup("/api/admin/dead-letters").WithTags("Administration").RequireAuthorization("member").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

        letters.MapGet("/", async (HttpContext http, DeadLetterBox box, int? limit, CancellationToken cancellationToken) =>
                Caller.From(http.User) is { } caller && caller.Is(Roles.Administrator)
                    ? limit is < 1 or > 1000
                        ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Between 1 and 1000."] })
                        : TypedResults.Ok(await box.ListAsync(caller.Tenant, limit ?? 100, cancellationToken).ConfigureAwait(false))
                    : (IResult)Problems.Forbidden("Dead letters are for administrators."))
            .WithName("ListDeadLetters").WithSummary("Messages that failed for good, newest first, with their error.")
            .Produces<IReadOnlyList<DeadLetter>>();

        letters.MapPost("/{id:guid}/replay", async (Guid id, HttpContext http, DeadLetterBox box, TimeProvider clock, CancellationToken cancellationToken) =>
                Caller.From(http.User) is { } caller && caller.Is(Roles.Administrator)
                    ? await box.ReplayAsync(id, caller.Tenant, cancellationToken).ConfigureAwait(false) ? TypedResults.Accepted((string?)null, new ReplayedDeadLetter(id, clock.GetUtcNow())) : Problems.NotFound("dead letter")
                    : (IResult)Problems.Forbidden("Dead letters are for administrators."))
            .WithName("ReplayDeadLetter").WithSummary("Puts the message back in its queue (Wolverine replays it within seconds).")
            .Produces<ReplayedDeadLetter>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);

        letters.MapDelete("/{id:guid}", async (Guid id, HttpContext http, DeadLetterBox box, CancellationToken cancellationToken) =>
                Caller.From(http.User) is { } caller && caller.Is(Roles.Administrator)
                    ? await box.DiscardAsync(id, caller.Tenant, cancellationToken).ConfigureAwait(false) ? TypedResults.NoContent() : Problems.NotFound("dead letter")
                    : (IResult)Problems.Forbidden("Dead letters are for administrators."))
            .WithName("DiscardDeadLetter").WithSummary("Deletes the message for good.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }
}

/// <summary>A dead letter put back in the queue, and when it is due again.</summary>
public sealed record ReplayedDeadLetter(Guid Id, DateTimeOffset DueAt);
