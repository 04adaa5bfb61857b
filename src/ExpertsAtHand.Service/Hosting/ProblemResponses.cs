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
        var (status, title, detail) = exception switch
        {
            StreamVersionConflictException conflict => (StatusCodes.Status409Conflict, "The record was changed by someone else", conflict.Message),
            BadHttpRequestException bad => (bad.StatusCode, "The request could not be read", bad.Message),
            _ => (StatusCodes.Status500InternalServerError, "Something went wrong on our side", (string?)null),
        };

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false);
    }
}
