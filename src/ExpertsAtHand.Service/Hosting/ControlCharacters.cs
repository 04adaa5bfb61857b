using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>
/// Text from outside never carries control characters: a NUL byte cannot be stored by PostgreSQL,
/// and the others have no place in a name, a reason or a filter. Bodies may keep tabs and line
/// breaks (a needs summary has paragraphs); query strings and paths may not.
/// </summary>
public static class ControlCharacters
{
    public const string Message = "Text must not contain control characters (such as a NUL byte).";

    public static bool In(string value, bool allowLineBreaks)
    {
        foreach (var c in value)
        {
            if ((char.IsControl(c) && !(allowLineBreaks && c is '\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Refuses a query-string value or path with a control character: 400 naming the parameter, before any endpoint runs.</summary>
    public static IApplicationBuilder UseControlCharacterGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var bad = context.Request.Query.Where(q => In(q.Key, false) || q.Value.Any(v => v is not null && In(v, false))).Select(q => q.Key).ToList();
        if (In(context.Request.Path.Value ?? string.Empty, false))
        {
            bad.Add("path");
        }

        if (bad.Count == 0)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        await TypedResults.ValidationProblem(
                bad.Distinct(StringComparer.Ordinal).ToDictionary(name => ControlFree(name), _ => new[] { Message }),
                title: "Some of what was sent is not valid")
            .ExecuteAsync(context).ConfigureAwait(false);
    });

    private static string ControlFree(string name) => new([.. name.Where(c => !char.IsControl(c))]);
}

/// <summary>Reads every JSON string of a request body, refusing control characters other than tabs and line breaks.</summary>
public sealed class ControlFreeStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        return value is not null && ControlCharacters.In(value, allowLineBreaks: true) ? throw new RefusedTextException() : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>A body's text the service will not store; the serializer adds the JSON path of the field.</summary>
public sealed class RefusedTextException() : JsonException(ControlCharacters.Message);
