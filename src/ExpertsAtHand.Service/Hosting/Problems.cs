using Microsoft.AspNetCore.Http.HttpResults;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>The ProblemDetails every slice answers with for scope and existence.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(title: "Not found", detail: $"There is no such {what} that you can see.", statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Forbidden(string reason) =>
        TypedResults.Problem(title: "Not allowed", detail: reason, statusCode: StatusCodes.Status403Forbidden);
}
