using System.Text.Json;
using ExpertsAtHand.EventStore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Turns the exceptions a client can cause into the ProblemDetails they deserve; anything else is
/// a 500 that says nothing about our internals.
/// </summary>
internal sealed class ProblemResponses(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem = exception switch
        {
            // A body that is not JSON, or a value of the wrong type (an unknown enum value): name the field.
            BadHttpRequestException { InnerException: JsonException json } => new ValidationProblemDetails(new Dictionary<string, string[]>
            {
                [FieldOf(json)] = [json.Path is null or "$" ? "The body is not valid JSON." : "This value is not one of those allowed, or not of the right type."],
            })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Some of what was sent is not valid",
            },
            BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "The request could not be read", Detail = bad.Message },
            StreamVersionConflictException conflict => new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "The record was changed by someone else", Detail = conflict.Message },
            _ => new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "Something went wrong on our side" },
        };

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        }).ConfigureAwait(false);
    }

    /// <summary>"$.child.yearGroup" becomes "child.yearGroup"; the whole body is "body".</summary>
    private static string FieldOf(JsonException json) =>
        json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
}
