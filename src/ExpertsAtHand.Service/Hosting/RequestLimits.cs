using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// How fast anyone may call: a token bucket per signed-in subject and another per client address (a
/// school's or council's NAT shares one), both configurable. Beyond them, 429 ProblemDetails with
/// Retry-After. Health checks are never limited.
/// </summary>
public static partial class RequestLimits
{
    public sealed record Bucket(int Burst, int PerSecond);

    public static Bucket PerSubject(IConfiguration configuration) => Read(configuration.GetSection("RateLimits:PerSubject"), new Bucket(100, 20));

    public static Bucket PerAddress(IConfiguration configuration) => Read(configuration.GetSection("RateLimits:PerAddress"), new Bucket(300, 50));

    public static void Add(WebApplicationBuilder builder)
    {
        var subject = PerSubject(builder.Configuration);
        var address = PerAddress(builder.Configuration);
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    context.User.FindFirst("sub")?.Value is { Length: > 0 } sub
                        ? RateLimitPartition.GetTokenBucketLimiter("sub:" + sub, _ => Options(subject))
                        : RateLimitPartition.GetNoLimiter("anonymous")),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    RateLimitPartition.GetTokenBucketLimiter("ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), _ => Options(address))));
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var http = rejected.HttpContext;
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                SecurityEvents.Throttled(http);
                await TypedResults.Problem(
                        title: "Too many requests",
                        detail: $"Slow down: try again in {seconds} second(s).",
                        statusCode: StatusCodes.Status429TooManyRequests)
                    .ExecuteAsync(http).ConfigureAwait(false);
            };
        });
    }

    private static TokenBucketRateLimiterOptions Options(Bucket bucket) => new()
    {
        TokenLimit = bucket.Burst,
        TokensPerPeriod = bucket.PerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static Bucket Read(IConfigurationSection section, Bucket fallback) =>
        new(section.GetValue("Burst", fallback.Burst), section.GetValue("PerSecond", fallback.PerSecond));
}

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
