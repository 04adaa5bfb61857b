using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Privacy;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Feedback;

/// <summary>What a family's code stands for: which area's request, which invitation, until when.</summary>
public sealed record FamilyCode(string Tenant, Guid RequestId, Guid InvitationId, DateTimeOffset ExpiresAt);

/// <summary>
/// The codes a SENCO hands a family. The link's code is signed (HMAC-SHA256 with a secret of the
/// service's own) over the area, request, invitation and expiry, so a changed or invented one is
/// refused before anything is read; the printable short code (ten characters, about 50 bits) is looked
/// up by its hash. Neither holds anything about the child or the family.
/// </summary>
public sealed class FamilyFeedbackCodes(DetailKeys keys, NpgsqlDataSource dataSource)
{
    // Crockford's base 32: no I, L, O or U, so a code read aloud or copied by hand survives.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public async Task<string> SignAsync(FamilyCode code, CancellationToken cancellationToken)
    {
        var payload = $"{code.Tenant}|{code.RequestId:N}|{code.InvitationId:N}|{code.ExpiresAt.ToUnixTimeSeconds()}";
        var mac = HMACSHA256.HashData(await SecretAsync(cancellationToken).ConfigureAwait(false), Encoding.UTF8.GetBytes(payload));
        return $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{Base64Url.EncodeToString(mac.AsSpan(0, 16))}";
    }

    /// <summary>The code's meaning while it still works; <c>Expired</c> when it was issued but its time has passed; neither for one the service did not issue.</summary>
    public async Task<(FamilyCode? Open, bool Expired)> ReadOpenAsync(string code, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ReadAsync(code, cancellationToken).ConfigureAwait(false) switch
        {
            null => (null, false),
            { } read when read.ExpiresAt < now => (null, true),
            { } read => (read, false),
        };

    /// <summary>The code's meaning, or null for one the service did not issue (changed, invented, or malformed).</summary>
    public async Task<FamilyCode?> ReadAsync(string code, CancellationToken cancellationToken)
    {
        code = code.Trim();
        return code.Contains('.', StringComparison.Ordinal)
            ? await ReadSignedAsync(code, cancellationToken).ConfigureAwait(false)
            : await ReadShortAsync(code, cancellationToken).ConfigureAwait(false);
    }

    public static string NewShortCode()
    {
        var chars = new char[10];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return $"{new string(chars, 0, 5)}-{new string(chars, 5, 5)}";
    }

    /// <summary>The hash a short code is kept by: case, spaces and dashes do not matter.</summary>
    public static string HashOfShort(string shortCode) =>
        Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(new string([.. shortCode.ToUpperInvariant().Where(c => c is not ('-' or ' '))]))));

    private async Task<FamilyCode?> ReadSignedAsync(string code, CancellationToken cancellationToken)
    {
        var parts = code.Split('.');
        if (parts.Length != 2 || parts[0].Length > 200 || !Base64Url.IsValid(parts[0]) || !Base64Url.IsValid(parts[1]))
        {
            return null;
        }

        var payload = Base64Url.DecodeFromChars(parts[0]);
        var given = Base64Url.DecodeFromChars(parts[1]);
        var expected = HMACSHA256.HashData(await SecretAsync(cancellationToken).ConfigureAwait(false), payload).AsSpan(0, 16);
        if (given.Length != 16 || !CryptographicOperations.FixedTimeEquals(given, expected))
        {
            return null;
        }

        var fields = Encoding.UTF8.GetString(payload).Split('|');
        return fields.Length == 4 && Guid.TryParseExact(fields[1], "N", out var request) && Guid.TryParseExact(fields[2], "N", out var invitation) && long.TryParse(fields[3], out var expires)
            ? new FamilyCode(fields[0], request, invitation, DateTimeOffset.FromUnixTimeSeconds(expires))
            : null;
    }

    private async Task<FamilyCode?> ReadShortAsync(string code, CancellationToken cancellationToken)
    {
        if (code.Length is < 10 or > 12 || code.Any(c => c is not ('-' or ' ') && !Alphabet.Contains(char.ToUpperInvariant(c), StringComparison.Ordinal)))
        {
            return null;
        }

        await using var command = dataSource.CreateCommand("SELECT tenant_id, request_id, invitation_id, expires_at FROM rm_family_invitations WHERE short_code_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = HashOfShort(code) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new FamilyCode(reader.GetString(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    private Task<byte[]> SecretAsync(CancellationToken cancellationToken) => keys.SecretForAsync("family-feedback-codes", cancellationToken);
}

/// <summary>Keeps the short codes' lookup in step with invitations, in the appending transaction.</summary>
public sealed class FamilyInvitationsProjection : IReadModelProjection
{
    public void Project(IReadOnlyList<LoggedEvent> events, SqlBatch batch)
    {
        foreach (var e in events)
        {
            if (e.Data is FamilyFeedbackInvited invited)
            {
                batch.Add(
                    "INSERT INTO rm_family_invitations (short_code_hash, tenant_id, request_id, invitation_id, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    invited.ShortCodeHash, e.TenantId, e.StreamId, invited.InvitationId, invited.ExpiresAt);
            }
        }
    }
}
