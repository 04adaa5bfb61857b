using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ExpertsAtHand.Service.EventLog;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Turns the exceptions a client can cause into the ProblemDetails they deserve; anything else is
/// a 500 that says nothing about our internals to the client, and everything to the log (with the
/// trace id the client was given, and no personal data).
/// </summary>
internal sealed partial class ProblemResponses(IProblemDetailsService problems, ILogger<ProblemResponses> logger) : IExceptionHandler
{
    private const string NotValid = "Some of what was sent is not valid";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => Invalid(FieldOf(json), MessageFor(json)),
            BadHttpRequestException bad when BindingFailure().Match(bad.Message) is { Success: true } failed =>
                Invalid(failed.Groups["name"].Value, QueryValues.Expected(failed.Groups["type"].Value)),
            BadHttpRequestException bad when RequiredMissing().Match(bad.Message) is { Success: true } missing =>
                Invalid(missing.Groups["name"].Value, "This is required."),
            BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "The request could not be read", Detail = bad.Message },
            StaleStreamException conflict => new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "The record was changed by someone else", Detail = conflict.Message },
            _ when DatabaseUnreachable(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The service is briefly unavailable",
                Detail = $"Its database cannot be reached just now. Nothing was changed; try again in {RetryAfterSeconds} seconds.",
            },
            _ => new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "Something went wrong on our side" },
        };

        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            LogFailure(httpContext, exception);
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            DatabaseOutage(logger, httpContext.Request.Method, (httpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)", exception.GetType().Name);
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Every 500 is logged with the trace id the client sees, the route (not the path: it may hold
    /// ids) and the exception's type, message and stack. A PostgreSQL error is logged by its code and
    /// message only: its detail can quote the values of a row.
    /// </summary>
    private void LogFailure(HttpContext httpContext, Exception exception)
    {
        var traceId = Activity.Current?.TraceId.ToString() ?? httpContext.TraceIdentifier;
        var route = (httpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        var reason = exception is PostgresException postgres
            ? $"PostgreSQL {postgres.SqlState}: {postgres.MessageText}"
            : exception is NpgsqlException npgsql ? $"Npgsql: {npgsql.GetType().Name} {npgsql.Message}" : exception.Message;
        UnhandledFailure(logger, httpContext.Request.Method, route, traceId, exception.GetType().FullName ?? exception.GetType().Name, reason, exception.StackTrace ?? string.Empty);
    }

    private const int RetryAfterSeconds = 5;

    /// <summary>
    /// The database could not be reached (refused, reset, timed out, shutting down or starting up):
    /// an outage, not our bug, and nothing was written. A query PostgreSQL refused is not this.
    /// </summary>
    private static bool DatabaseUnreachable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException || npgsql.IsTransient,
        System.Net.Sockets.SocketException or TimeoutException => true,
        _ => exception.InnerException is { } inner && DatabaseUnreachable(inner),
    };

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "503 answered to {Method} {Route}: the database could not be reached ({ExceptionType})")]
    private static partial void DatabaseOutage(ILogger logger, string method, string route, string exceptionType);

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "500 answered to {Method} {Route} (trace {TraceId}): {ExceptionType}: {Reason}\n{StackTrace}")]
    private static partial void UnhandledFailure(ILogger logger, string method, string route, string traceId, string exceptionType, string reason, string stackTrace);

    private static ValidationProblemDetails Invalid(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] }) { Status = StatusCodes.Status400BadRequest, Title = NotValid };

    private static string MessageFor(JsonException json) => json switch
    {
        RefusedTextException refused => refused.Message,
        _ when json.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) => "This key appears more than once in the body: send it once.",
        _ when Incomplete(json) => "The body is not complete JSON: it ends before its last value or object is closed.",
        _ when json.Path is null or "$" => "The body is not valid JSON.",
        _ => "This value is not one of those allowed, or not of the right type.",
    };

    /// <summary>A body cut short is the body's fault, not the last field the reader reached.</summary>
    private static bool Incomplete(JsonException json) =>
        json.Message.Contains("end of data", StringComparison.OrdinalIgnoreCase)
        || json.Message.Contains("Expected depth to be zero", StringComparison.Ordinal)
        || json.InnerException?.Message.Contains("end of data", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>"$.child.yearGroup" becomes "child.yearGroup"; the whole body is "body".</summary>
    private static string FieldOf(JsonException json) =>
        json is not RefusedTextException && Incomplete(json) ? "body"
        : json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";

    // ASP.NET Core's own wording for a query or route value that does not bind, e.g.
    // Failed to bind parameter "Nullable<DateOnly> from" from "2026-13-01".
    [GeneratedRegex("^Failed to bind parameter \"(?<type>[^\" ]+) (?<name>[^\"]+)\" from", RegexOptions.CultureInvariant)]
    private static partial Regex BindingFailure();

    [GeneratedRegex("^Required parameter \"(?<type>[^\" ]+) (?<name>[^\"]+)\" was not provided", RegexOptions.CultureInvariant)]
    private static partial Regex RequiredMissing();
}
