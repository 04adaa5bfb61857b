using System.Globalization;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Net.Http.Headers;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>The API's shared manners: field-named validation problems, If-Match and ETag.</summary>
public static class HttpConventions
{
    /// <summary>400 with every failing field named as the JSON names it ("child.reference").</summary>
    public static IResult ValidationProblem(ValidationResult result) => TypedResults.ValidationProblem(
        result.Errors
            .GroupBy(e => JsonPath(e.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()),
        title: "Some of what was sent is not valid");

    public static async Task<IResult?> ValidateAsync<T>(IValidator<T> validator, T? body, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] });
        }

        var result = await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false);
        return result.IsValid ? null : ValidationProblem(result);
    }

    /// <summary>The stream version from If-Match ("5" or W/"5"); a command without one is 428, a malformed one 400.</summary>
    public static (long? Version, IResult? Problem) ExpectedVersion(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, TypedResults.Problem(
                title: "If-Match is required",
                detail: "Send the version you last read as If-Match (the ETag of the request), so nobody's change is overwritten unseen.",
                statusCode: StatusCodes.Status428PreconditionRequired));
        }

        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        // "0" is well formed: it names a version no record is at, so the command answers 412 with the current ETag.
        return long.TryParse(value.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["If-Match"] = ["If-Match must be the request's ETag, such as \"3\"."] }));
    }

    /// <summary>For writes that may also create (PUT): If-Match is optional, but a malformed one is still a 400.</summary>
    public static (long? Version, IResult? Problem) OptionalExpectedVersion(HttpRequest request) =>
        request.Headers.IfMatch.Count == 0 ? (null, null) : ExpectedVersion(request);

    /// <summary>412 for a stale If-Match, the same for every record: the current ETag, and what to do.</summary>
    public static IResult PreconditionFailed(HttpResponse response, string title, long current)
    {
        SetVersion(response, current);
        return TypedResults.Problem(
            title: title,
            detail: $"It is now at version {current.ToString(CultureInfo.InvariantCulture)}; read it again and retry.",
            statusCode: StatusCodes.Status412PreconditionFailed);
    }

    public static void SetVersion(HttpResponse response, long version) =>
        response.Headers[HeaderNames.ETag] = $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    public static string JsonPath(string propertyName) => string.Join('.', propertyName.Split('.').Select(part =>
        part.Length == 0 ? part : JsonNamingPolicy.CamelCase.ConvertName(part)));
}
