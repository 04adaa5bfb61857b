using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ExpertsAtHand.Infrastructure.Notifications;

/// <summary>
/// A GOV.UK Notify API key: "{key name}-{service id}-{secret}", where the ids are UUIDs. Requests
/// carry a short-lived JWT (HS256, iss = service id, iat = now) signed with the secret.
/// </summary>
public sealed record NotifyApiKey(string ServiceId, string Secret)
{
    private const int UuidLength = 36;

    public static NotifyApiKey Parse(string apiKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        if (apiKey.Length < (2 * UuidLength) + 2
            || !Guid.TryParse(apiKey[^UuidLength..], out _)
            || !Guid.TryParse(apiKey.AsSpan(apiKey.Length - (2 * UuidLength) - 1, UuidLength), out _))
        {
            throw new FormatException("A Notify API key ends with two UUIDs: the service id and the secret.");
        }

        return new NotifyApiKey(apiKey.Substring(apiKey.Length - (2 * UuidLength) - 1, UuidLength), apiKey[^UuidLength..]);
    }

    public string CreateToken(DateTimeOffset now)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["typ"] = "JWT", ["alg"] = "HS256" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["iss"] = ServiceId, ["iat"] = now.ToUnixTimeSeconds() }));
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>Checks a token as Notify does: our signature, our service, issued within 30 seconds.</summary>
    public bool Accepts(string token, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var expected = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}")));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts[2])))
        {
            return false;
        }

        using var claims = JsonDocument.Parse(FromBase64Url(parts[1]));
        return claims.RootElement.TryGetProperty("iss", out var iss) && iss.GetString() == ServiceId
               && claims.RootElement.TryGetProperty("iat", out var iat) && Math.Abs(now.ToUnixTimeSeconds() - iat.GetInt64()) <= 30;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }
}
