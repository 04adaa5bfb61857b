using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// What every answer carries and how much any request may send. Children's records must not be cached
/// by a browser or a proxy, sniffed into another content type, leaked in a Referer or framed by another
/// site; a body is refused before it is read when it is larger than its kind of request needs.
/// </summary>
public static class HardenedEdges
{
    /// <summary>A command's JSON: ample for the longest text fields (4,000 characters each).</summary>
    public const long JsonBodyLimit = 64 * 1024;

    /// <summary>An imported CSV: a whole GIAS extract for a large area fits.</summary>
    public const long ImportBodyLimit = 16 * 1024 * 1024;

    /// <summary>
    /// Which proxies may say what the client's scheme and address were (X-Forwarded-Proto and -For):
    /// loopback, and ForwardedHeaders:KnownProxies. Behind such a proxy, a request that reached it
    /// over HTTPS is HTTPS here (HSTS, and the rate limiter sees the client's address, not the proxy's).
    /// </summary>
    public static void AddForwardedHeaders(WebApplicationBuilder builder) => builder.Services.Configure<ForwardedHeadersOptions>(options =>
    {
        options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
        foreach (var proxy in builder.Configuration.GetSection("ForwardedHeaders:KnownProxies").GetChildren().Select(c => c.Value))
        {
            if (System.Net.IPAddress.TryParse(proxy, out var address))
            {
                options.KnownProxies.Add(address);
            }
        }
    });

    /// <summary>The largest body an endpoint takes: an import's if it accepts CSV, else a JSON command's.</summary>
    public static long BodyLimitFor(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.ContentTypes.Contains("text/csv", StringComparer.OrdinalIgnoreCase) == true
            ? ImportBodyLimit
            : JsonBodyLimit;

    /// <summary>
    /// Pages load only the service's own styles, scripts and images; no inline script, no framing. A
    /// form may lead only here, or to the area's authority (signing out ends its session too).
    /// </summary>
    public static string PageContentSecurityPolicy(string? authority) =>
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
        + $"form-action 'self'{(Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? " " + uri.GetLeftPart(UriPartial.Authority) : string.Empty)}; base-uri 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseHardenedEdges(this IApplicationBuilder app)
    {
        var pagePolicy = PageContentSecurityPolicy(app.ApplicationServices.GetRequiredService<IConfiguration>()["Auth:Authority"]);
        return app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (context.Request.IsHttps)
            {
                headers[HeaderNames.StrictTransportSecurity] = "max-age=31536000; includeSubDomains";
            }

            headers[HeaderNames.XContentTypeOptions] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers[HeaderNames.XFrameOptions] = "DENY";
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                headers[HeaderNames.ContentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'";
                headers[HeaderNames.CacheControl] = "no-store";
                headers[HeaderNames.Pragma] = "no-cache";
            }
            else
            {
                headers[HeaderNames.ContentSecurityPolicy] = pagePolicy;
                if (!context.Request.Path.StartsWithSegments("/govuk", StringComparison.Ordinal) && !context.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal))
                {
                    headers[HeaderNames.CacheControl] = "no-store"; // a page may show a child's record: never kept on a shared machine
                }
            }

            return Task.CompletedTask;
        });

        // The endpoint says what it accepts: a CSV import may be large, anything else is a JSON command.
        var limit = BodyLimitFor(context.GetEndpoint());
        if (context.Request.ContentLength > limit)
        {
            await TypedResults.Problem(
                    title: "The request is too large",
                    detail: $"This kind of request carries at most {limit / 1024:N0} KB.",
                    statusCode: StatusCodes.Status413PayloadTooLarge)
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // A body without a declared length is cut off at the same limit while it is read.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        await next(context).ConfigureAwait(false);
    });
    }
}
