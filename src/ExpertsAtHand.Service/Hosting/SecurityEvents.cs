namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Security events in the operational log: failed authentication, refusals (401, 403) and throttling,
/// with the route, the caller's role and area and the trace id the client was given. Never a token's
/// text, a subject's id or anything about a child.
/// </summary>
public static partial class SecurityEvents
{
    private const string Category = "ExpertsAtHand.Security";

    public static void AuthenticationFailed(HttpContext http, Exception failure) =>
        LogAuthenticationFailed(Logger(http), Route(http), failure.GetType().Name, TraceId(http));

    public static void Throttled(HttpContext http) =>
        LogThrottled(Logger(http), Route(http), http.User.FindFirst(Caller.RoleClaim)?.Value ?? "anonymous", TraceId(http));

    /// <summary>Logs 401 and 403 answers as they leave, whichever part of the service refused.</summary>
    public static IApplicationBuilder UseSecurityEventLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            LogRefused(
                Logger(context),
                context.Response.StatusCode,
                context.Request.Method,
                Route(context),
                context.User.FindFirst(Caller.RoleClaim)?.Value ?? "anonymous",
                context.User.FindFirst(Caller.TenantClaim)?.Value ?? "none",
                TraceId(context));
        }
    });

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

    // The route template, never the path: a path holds ids.
    private static string Route(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    private static string TraceId(HttpContext http) => System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Authentication failed on {Route}: {Reason} (trace {TraceId})")]
    private static partial void LogAuthenticationFailed(ILogger logger, string route, string reason, string traceId);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Refused {Status} for {Method} {Route}: role {Role}, area {Tenant} (trace {TraceId})")]
    private static partial void LogRefused(ILogger logger, int status, string method, string route, string role, string tenant, string traceId);

    [LoggerMessage(EventId = 429, Level = LogLevel.Warning, Message = "Throttled {Route}: role {Role} (trace {TraceId})")]
    private static partial void LogThrottled(ILogger logger, string route, string role, string traceId);
}
