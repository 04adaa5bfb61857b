using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// A text sealed with a child's key, as it is stored in an event: <c>sealed:v1:{key id}:{nonce,
/// ciphertext and tag in base64url}</c>. AES-GCM, a fresh nonce each time; the key id is bound in as
/// associated data, so a sealed text moved under another key does not open. The key id travels with
/// the text, so any reader can tell which key it needs without the rest of the stream.
/// </summary>
public static class SealedText
{
    private const string Prefix = "sealed:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>What a reader sees in place of a text whose key was destroyed.</summary>
    public const string Erased = "[erased]";

    public static string Seal(string plain, DataKey key)
    {
        var plainBytes = Encoding.UTF8.GetBytes(plain);
        var sealedBytes = new byte[NonceSize + plainBytes.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Material, TagSize);
        aes.Encrypt(nonce, plainBytes, sealedBytes.AsSpan(NonceSize, plainBytes.Length), sealedBytes.AsSpan(NonceSize + plainBytes.Length), Associated(key.Id));
        return $"{Prefix}{key.Id:N}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    public static bool IsSealed(string? text) => text is not null && text.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The key a sealed text needs, or null for a plain one.</summary>
    public static Guid? KeyOf(string? text) =>
        IsSealed(text) && text!.Length > Prefix.Length + 32 && Guid.TryParseExact(text.AsSpan(Prefix.Length, 32), "N", out var id) ? id : null;

    /// <summary>The plain text: as it is when it was never sealed, <see cref="Erased"/> when its key is gone.</summary>
    public static string Open(string text, KeyRing keys)
    {
        if (KeyOf(text) is not { } id)
        {
            return text;
        }

        if (keys.Find(id) is not { } key)
        {
            return Erased;
        }

        var sealedBytes = Base64Url.DecodeFromChars(text.AsSpan(Prefix.Length + 33));
        var length = sealedBytes.Length - NonceSize - TagSize;
        var plainBytes = new byte[length];
        using var aes = new AesGcm(key.Material, TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plainBytes, Associated(id));
        return Encoding.UTF8.GetString(plainBytes);
    }

    private static byte[] Associated(Guid keyId) => Encoding.ASCII.GetBytes($"eah-details:{keyId:N}");
}

/// <summary>A child's key (or a setting-level request's), unwrapped.</summary>
public sealed record DataKey(Guid Id, byte[] Material);

/// <summary>The keys a reader holds for what it is about to open; a key not here was erased.</summary>
public sealed class KeyRing(IEnumerable<DataKey> keys)
{
    public static readonly KeyRing Empty = new([]);

    private readonly Dictionary<Guid, DataKey> _keys = keys.ToDictionary(k => k.Id);

    public DataKey? Find(Guid id) => _keys.GetValueOrDefault(id);
}
