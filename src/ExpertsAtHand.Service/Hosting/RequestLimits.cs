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
