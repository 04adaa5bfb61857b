using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>What an administrator sends to erase a child's details: the grounds, never the child's name or story.</summary>
public sealed record ErasureBody(ErasureGrounds? Grounds);

/// <summary>The erasure done: which key was destroyed, how many of the child's requests it sealed, and when.</summary>
public sealed record ErasureDone(Guid RequestId, Guid KeyId, int Requests, ErasureGrounds Grounds, DateTimeOffset ErasedAt);

internal sealed class ErasureValidator : AbstractValidator<ErasureBody>
{
    public ErasureValidator() =>
        RuleFor(x => x.Grounds).NotNull().WithMessage("Say on what grounds: RightToErasure, RecordedInError or RetentionEnded.");
}

/// <summary>POST /api/requests/{id}/erasure: an administrator erases the child's details (crypto-shredding).</summary>
public static class EraseRequestDetailsEndpoint
{
    public static IEndpointRouteBuilder MapErasure(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/requests/{id:guid}/erasure", EraseAsync).WithTags("Requests").RequireAuthorization("member")
            .WithMetadata(new AccessLog.ReadsChildRecords("request"))
            .WithName("EraseRequestDetails")
            .WithSummary("An administrator erases the child's details and every note about them from this request and the child's others: counts, dates and outcomes stay.")
            .Produces<ErasureDone>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<IResult> EraseAsync(Guid id, ErasureBody? body, HttpContext http, IValidator<ErasureBody> validator, DetailErasure erasure, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("Erasing a child's details is for the area's administrators.");
        }

        if (await HttpConventions.ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        var grounds = body!.Grounds!.Value;
        return await erasure.EraseRequestAsync(caller.Tenant, id, grounds, caller.Actor, cancellationToken).ConfigureAwait(false) switch
        {
            ErasureResult.Erased done => TypedResults.Ok(new ErasureDone(id, done.KeyId, done.Requests, grounds, done.At)),
            ErasureResult.Refused refused => TypedResults.Problem(title: "The details cannot be erased now", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict),
            ErasureResult.Stale => TypedResults.Problem(title: "The child's requests changed while they were being erased", detail: "Nothing was erased. Send the erasure again.", statusCode: StatusCodes.Status409Conflict),
            _ => Problems.NotFound("request"),
        };
    }
}
