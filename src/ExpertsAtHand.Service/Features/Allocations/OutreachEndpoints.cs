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

        return TypedResults.Ok(await CandidatesAsync(use, caller.Tenant, quietWeeks ?? 12, maxUse ?? 0.25m, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Top-quartile-need settings using less than <paramref name="maxUse"/> of their share and quiet for <paramref name="quietWeeks"/>, neediest first.</summary>
    public static async Task<IReadOnlyList<OutreachCandidate>> CandidatesAsync(EntitlementUse use, string tenant, int quietWeeks, decimal maxUse, CancellationToken cancellationToken)
    {
        var (_, settings) = await use.ThisYearAsync(tenant, null, cancellationToken).ConfigureAwait(false);
        if (settings.Count == 0)
        {
            return [];
        }

        var needs = settings.Select(s => s.NeedIndex).Order().ToList();
        var topQuartile = needs[(int)Math.Floor(0.75 * (needs.Count - 1))];
        var quietSince = use.Today(tenant).AddDays(-7 * quietWeeks);
        return settings
            .Where(s => s.NeedIndex >= topQuartile && s.UseRatio < maxUse && (s.LastAskedOn is null || s.LastAskedOn < quietSince))
            .Select(s => new OutreachCandidate(s.Urn, s.Name, s.Phase, s.Locality, s.NeedIndex, s.UsedHours, s.ProRataEntitlementHours, s.UseRatio, s.LastAskedOn))
            .OrderByDescending(c => c.NeedIndex)
            .ThenBy(c => c.Urn, StringComparer.Ordinal)
            .ToList();
    }
}
