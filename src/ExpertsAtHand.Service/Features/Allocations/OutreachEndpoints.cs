using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Features.Allocations;

public sealed record OutreachCandidate(string Urn, string Name, Phase Phase, string Locality, decimal NeedIndex, decimal UsedHours, decimal ProRataEntitlementHours, decimal UseRatio, DateOnly? LastAskedOn);

/// <summary>
/// Settings to contact rather than wait for: in the top quartile of need (free school meals, SEN
/// support, EHC plans), using little of their share this year, and quiet for weeks.
/// </summary>
public static class OutreachEndpoints
{
    public static IEndpointRouteBuilder MapOutreach(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/outreach", ListAsync).WithTags("Allocations").RequireAuthorization("member").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("ProactiveOutreach")
            .WithSummary("High-need settings (top quartile) whose use of their share is below maxUse and that have asked nothing for quietWeeks.")
            .Produces<IReadOnlyList<OutreachCandidate>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ListAsync(HttpContext http, EntitlementUse use, int? quietWeeks, decimal? maxUse, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return Problems.Forbidden("The outreach list is for coordinators and commissioners.");
        }

        if (quietWeeks is < 1 or > 52 || maxUse is < 0 or > 2)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [quietWeeks is < 1 or > 52 ? "quietWeeks" : "maxUse"] = [quietWeeks is < 1 or > 52 ? "From 1 to 52 weeks." : "A share of entitlement from 0 to 2."],
            });
        }

        return TypedResults.Ok(await use.OutreachAsync(caller.Tenant, quietWeeks ?? 12, maxUse ?? 0.25m, cancellationToken).ConfigureAwait(false));
    }
}
