using System.Security.Cryptography;
using System.Text;

namespace ExpertsAtHand.Infrastructure;

/// <summary>
/// Deterministic stream ids for things that already have a natural key (a setting's URN):
/// a name-based UUID (RFC 9562 version 5), so every node derives the same id without a lookup.
/// </summary>
public static class StreamId
{
    private static readonly Guid Namespace = new("6f1d5a39-2c4e-4f57-9a53-3b0f3f7c2e11");

    public static Guid For(string streamType, string naturalKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamType);
        ArgumentException.ThrowIfNullOrWhiteSpace(naturalKey);
        var name = Encoding.UTF8.GetBytes($"{streamType}/{naturalKey}");
        Span<byte> input = stackalloc byte[16 + name.Length];
        Namespace.TryWriteBytes(input[..16], bigEndian: true, out _);
        name.CopyTo(input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 9562 defines version 5 with SHA-1; this is naming, not security.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
