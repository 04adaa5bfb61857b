using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>Endpoint metadata: this create accepts an <c>Idempotency-Key</c> header.</summary>
public sealed class AcceptsIdempotencyKey;

/// <summary>
/// A create sent again with the same <c>Idempotency-Key</c> (per caller and area) and the same body
/// gets the first answer back, marked <c>Idempotent-Replayed: true</c>, and creates nothing; with
/// another body it is a 422; while the first is still being answered, a 409 with Retry-After. Only a
/// success is kept (for <c>IdempotencyKeys:RetentionHours</c>, 24 by default): a refusal created
/// nothing, so the client may correct the body and send it again under the same key. An attempt that
/// died before it answered is taken over after <c>IdempotencyKeys:LeaseSeconds</c> (30); creates that
/// accept a key derive their record's id from it (<see cref="IdFor"/>), so even then nothing is
/// created twice.
/// </summary>
public static partial class IdempotentCreates
{
    public const string Header = "Idempotency-Key";

    public static RouteHandlerBuilder AcceptingIdempotencyKey(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(new AcceptsIdempotencyKey()).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>
    /// The id a create under this caller's key makes: the same on every retry while the key is kept, a
    /// new one once it has been forgotten and used again. Null without a key.
    /// </summary>
    public static Guid? IdFor(HttpContext http, string kind) =>
        http.Items[typeof(AcceptsIdempotencyKey)] is DateTimeOffset claimedAt && http.Request.Headers[Header] is [{ } key] && Caller.From(http.User) is { } caller
            ? Infrastructure.StreamId.For($"idempotent-{kind}", $"{caller.Tenant}/{caller.Subject}/{key}/{claimedAt.UtcTicks}")
            : null;

    public static IApplicationBuilder UseIdempotentCreates(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<AcceptsIdempotencyKey>() is null
            || !context.Request.Headers.TryGetValue(Header, out var sent)
            || Caller.From(context.User) is not { } caller)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (sent is not [{ } key] || !KeyShape().IsMatch(key))
        {
            await TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { [Header] = ["Send one Idempotency-Key of 1 to 100 visible characters (letters, digits and punctuation), such as a UUID."] },
                    title: "Some of what was sent is not valid")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var keys = context.RequestServices.GetRequiredService<IdempotencyKeys>();
        var fingerprint = await FingerprintAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        var claim = await keys.ClaimAsync(caller, key, fingerprint, context.RequestAborted).ConfigureAwait(false);
        switch (claim)
        {
            case IdempotencyClaim.OtherRequest:
                await TypedResults.Problem(
                        title: "This Idempotency-Key was used for another request",
                        detail: "A key stands for one request: send this one under a new key, or send the first request's body again to get its answer.",
                        statusCode: StatusCodes.Status422UnprocessableEntity)
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            case IdempotencyClaim.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await TypedResults.Problem(
                        title: "The first request with this Idempotency-Key is still being answered",
                        detail: "Send it again in a moment to get its answer.",
                        statusCode: StatusCodes.Status409Conflict)
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            case IdempotencyClaim.Answered answered:
                await ReplayAsync(context, answered.Answer).ConfigureAwait(false);
                return;
            case IdempotencyClaim.Claimed claimed:
                context.Items[typeof(AcceptsIdempotencyKey)] = claimed.Since;
                break;
        }

        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            context.Response.Body = original;
            await keys.ReleaseAsync(caller, key, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        context.Response.Body = original;
        var response = context.Response;
        if (response.StatusCode is >= 200 and < 300)
        {
            await keys.CompleteAsync(
                caller,
                key,
                new StoredAnswer(response.StatusCode, response.ContentType, response.Headers.Location.ToString() is { Length: > 0 } location ? location : null, response.Headers.ETag.ToString() is { Length: > 0 } etag ? etag : null, captured.ToArray()),
                CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            await keys.ReleaseAsync(caller, key, CancellationToken.None).ConfigureAwait(false);
        }

        captured.Position = 0;
        await captured.CopyToAsync(original, context.RequestAborted).ConfigureAwait(false);
    });

    private static async Task ReplayAsync(HttpContext context, StoredAnswer answer)
    {
        var response = context.Response;
        response.StatusCode = answer.Status;
        response.ContentType = answer.ContentType;
        if (answer.Location is { } location)
        {
            response.Headers.Location = location;
        }

        if (answer.ETag is { } etag)
        {
            response.Headers.ETag = etag;
        }

        response.Headers["Idempotent-Replayed"] = "true";
        await response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Method, path and body: what makes two sends the same request.</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[\\x21-\\x7E]{1,100}$")]
    private static partial System.Text.RegularExpressions.Regex KeyShape();
}

/// <summary>The first answer to a create, as it was sent.</summary>
public sealed record StoredAnswer(int Status, string? ContentType, string? Location, string? ETag, byte[] Body);

public abstract record IdempotencyClaim
{
    /// <summary>The key is this attempt's: answer it, then complete or release the key. <paramref name="Since"/>: the key's first use.</summary>
    public sealed record Claimed(DateTimeOffset Since) : IdempotencyClaim;

    public sealed record Answered(StoredAnswer Answer) : IdempotencyClaim;

    public sealed record InProgress : IdempotencyClaim;

    public sealed record OtherRequest : IdempotencyClaim;
}

/// <summary>Idempotency keys and their first answers, per area and caller, in PostgreSQL so every node sees them.</summary>
public sealed class IdempotencyKeys(NpgsqlDataSource dataSource, IConfiguration configuration, TimeProvider clock)
{
    private TimeSpan Retention => TimeSpan.FromHours(configuration.GetValue("IdempotencyKeys:RetentionHours", 24.0));

    private TimeSpan Lease => TimeSpan.FromSeconds(configuration.GetValue("IdempotencyKeys:LeaseSeconds", 30.0));

    public async Task<IdempotencyClaim> ClaimAsync(Caller caller, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var forget = new NpgsqlCommand("DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= $1 LIMIT 100)", connection))
        {
            forget.Parameters.Add(new NpgsqlParameter { Value = now });
            await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // A key is free when new, expired, or held by an attempt that died before it answered.
        await using (var claim = new NpgsqlCommand(
            "INSERT INTO idempotency_keys AS k (tenant_id, subject, key, fingerprint, claimed_at, attempt_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) "
            // Taking over a dead attempt keeps the first use's time, so the retry makes the same id.
            + "ON CONFLICT (tenant_id, subject, key) DO UPDATE SET fingerprint = excluded.fingerprint, attempt_at = excluded.attempt_at, "
            + "claimed_at = CASE WHEN k.expires_at <= $5 THEN excluded.claimed_at ELSE k.claimed_at END, "
            + "expires_at = CASE WHEN k.expires_at <= $5 THEN excluded.expires_at ELSE k.expires_at END, "
            + "status = NULL, content_type = NULL, location = NULL, etag = NULL, body = NULL "
            + "WHERE k.expires_at <= $5 OR (k.status IS NULL AND k.attempt_at <= $7 AND k.fingerprint = excluded.fingerprint) RETURNING claimed_at",
            connection))
        {
            Bind(claim, caller.Tenant, caller.Subject, key, fingerprint, now, now + Retention, now - Lease);
            if (await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime since)
            {
                return new IdempotencyClaim.Claimed(new DateTimeOffset(since, TimeSpan.Zero));
            }
        }

        await using var existing = new NpgsqlCommand("SELECT fingerprint, status, content_type, location, etag, body FROM idempotency_keys WHERE tenant_id = $1 AND subject = $2 AND key = $3", connection);
        Bind(existing, caller.Tenant, caller.Subject, key);
        await using var reader = await existing.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return new IdempotencyClaim.InProgress(); // released between the two statements: the client's retry will claim it
        }

        if (reader.GetString(0) != fingerprint)
        {
            return new IdempotencyClaim.OtherRequest();
        }

        return reader.IsDBNull(1)
            ? new IdempotencyClaim.InProgress()
            : new IdempotencyClaim.Answered(new StoredAnswer(
                reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetFieldValue<byte[]>(5)));
    }

    public async Task CompleteAsync(Caller caller, string key, StoredAnswer answer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE idempotency_keys SET status = $4, content_type = $5, location = $6, etag = $7, body = $8 WHERE tenant_id = $1 AND subject = $2 AND key = $3");
        Bind(command, caller.Tenant, caller.Subject, key, answer.Status, answer.ContentType, answer.Location, answer.ETag, answer.Body);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing was created: the key is free for a corrected request.</summary>
    public async Task ReleaseAsync(Caller caller, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND subject = $2 AND key = $3 AND status IS NULL");
        Bind(command, caller.Tenant, caller.Subject, key);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(NpgsqlCommand command, params object?[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
    }
}
