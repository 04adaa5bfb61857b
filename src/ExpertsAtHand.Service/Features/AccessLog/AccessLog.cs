using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.AccessLog;

/// <summary>Endpoint metadata: answers from here hold child-level records, so every attempt is recorded.</summary>
/// <param name="TargetKind">What the route's <c>id</c> names (a request), or the area when a list is read.</param>
public sealed record ReadsChildRecords(string TargetKind);

/// <summary>One entry: who, in which role, did what to which record, when, with what outcome.</summary>
public sealed record AccessEntry(
    long Id,
    DateTimeOffset At,
    string Subject,
    string Role,
    string Operation,
    string TargetKind,
    string? TargetId,
    int Outcome,
    string TraceId);

/// <summary>
/// The record of who viewed children's records: each read of child-level data and each refused
/// attempt (401, 403, 404), written before the answer leaves, so no answer holding a child's record is
/// sent unrecorded. Append-only in PostgreSQL (a trigger refuses UPDATE, DELETE and TRUNCATE), and
/// chained per area: each entry's hash is SHA-256 of the previous entry's hash and this entry's
/// fields, so a changed, removed or inserted row breaks the chain at that row (see <see cref="VerifyAsync"/>).
/// </summary>
public sealed class AccessLogBook(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public static IApplicationBuilder UseAccessLog(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ReadsChildRecords>() is { } reads)
        {
            context.Response.OnStarting(async () =>
            {
                var status = context.Response.StatusCode;
                if (status is (>= 200 and < 300) or StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound)
                {
                    await context.RequestServices.GetRequiredService<AccessLogBook>().RecordAsync(context, reads, status).ConfigureAwait(false);
                }
            });
        }

        await next(context).ConfigureAwait(false);
    });

    private async Task RecordAsync(HttpContext http, ReadsChildRecords reads, int status)
    {
        var caller = Caller.From(http.User);
        var target = http.GetRouteValue("id")?.ToString() ?? http.Request.Query["setting"].FirstOrDefault();
        var kind = http.GetRouteValue("id") is not null ? reads.TargetKind : target is not null ? "setting" : "area";
        var entry = new AccessEntry(
            0,
            Microseconds(clock.GetUtcNow()),
            caller?.Subject ?? "anonymous",
            caller?.Role ?? "none",
            (http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName) ?? "unnamed",
            kind,
            target,
            status,
            System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
        await AppendAsync(caller?.Tenant ?? string.Empty, entry, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Appends under the area's lock, so two entries never chain from the same predecessor.</summary>
    public async Task AppendAsync(string tenant, AccessEntry entry, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        // A batch is one implicit transaction: the lock holds until the insert has committed.
        batch.BatchCommands.Add(Command("SELECT pg_advisory_xact_lock(hashtext('eah-access-log'), hashtext($1))", tenant));
        batch.BatchCommands.Add(Command(
            "INSERT INTO access_log (tenant_id, at, subject, role, operation, target_kind, target_id, outcome, trace_id, prev_hash, hash) "
            + "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, prev.hash, sha256(coalesce(prev.hash, ''::bytea) || convert_to($10, 'UTF8')) "
            // After retention removed every entry, the chain goes on from the last one removed.
            + "FROM (SELECT coalesce((SELECT hash FROM access_log WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1), "
            + "(SELECT through_hash FROM access_log_trims WHERE tenant_id = $1 ORDER BY through_id DESC LIMIT 1)) AS hash) prev",
            tenant, entry.At, entry.Subject, entry.Role, entry.Operation, entry.TargetKind, entry.TargetId, entry.Outcome, entry.TraceId, Canonical(tenant, entry)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The area's entries, newest first, filtered by request (or setting), person and period.</summary>
    public async Task<IReadOnlyList<AccessEntry>> ReadAsync(string tenant, AccessLogFilter filter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, at, subject, role, operation, target_kind, target_id, outcome, trace_id FROM access_log "
            + "WHERE tenant_id = $1 AND ($2::text IS NULL OR target_id = $2) AND ($3::text IS NULL OR subject = $3) "
            + "AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5) ORDER BY id DESC LIMIT $6");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Target ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.From ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Before ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.Limit });
        var entries = new List<AccessEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(Read(reader));
        }

        return entries;
    }

    /// <summary>
    /// Walks every area's chain from its first entry, recomputing each hash. Returns the entries that do
    /// not follow from the one before (changed, or something removed or inserted before them) and each
    /// area's last hash, which an operator can note down: a later verify must reach it again.
    /// </summary>
    public async Task<AccessLogVerification> VerifyAsync(string? tenant, CancellationToken cancellationToken)
    {
        // Where retention removed an area's oldest entries, the chain starts from the last one removed.
        var anchors = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var trims = dataSource.CreateCommand("SELECT DISTINCT ON (tenant_id) tenant_id, through_hash FROM access_log_trims ORDER BY tenant_id, through_id DESC"))
        await using (var trimReader = await trims.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await trimReader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                anchors[trimReader.GetString(0)] = trimReader.GetFieldValue<byte[]>(1);
            }
        }

        await using var command = dataSource.CreateCommand(
            "SELECT id, at, subject, role, operation, target_kind, target_id, outcome, trace_id, tenant_id, prev_hash, hash FROM access_log "
            + "WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY tenant_id, id");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var broken = new List<BrokenEntry>();
        var heads = new Dictionary<string, string>(StringComparer.Ordinal);
        long checkedCount = 0;
        string? area = null;
        byte[]? previous = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var entry = Read(reader);
            var entryArea = reader.GetString(9);
            if (entryArea != area)
            {
                area = entryArea;
                previous = anchors.GetValueOrDefault(entryArea);
            }

            var storedPrevious = reader.IsDBNull(10) ? null : reader.GetFieldValue<byte[]>(10);
            var stored = reader.GetFieldValue<byte[]>(11);
            var expected = SHA256.HashData([.. previous ?? [], .. Encoding.UTF8.GetBytes(Canonical(entryArea, entry))]);
            if (!stored.AsSpan().SequenceEqual(expected) || !(storedPrevious ?? []).AsSpan().SequenceEqual(previous ?? []))
            {
                broken.Add(new BrokenEntry(entryArea, entry.Id));
            }

            previous = stored;
            heads[entryArea] = Convert.ToHexString(stored);
            checkedCount++;
        }

        return new AccessLogVerification(checkedCount, broken, heads);
    }

    private static AccessEntry Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetFieldValue<DateTimeOffset>(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetInt32(7),
        reader.GetString(8));

    /// <summary>Every field but the row number, in a fixed form both the writer and <see cref="VerifyAsync"/> produce.</summary>
    private static string Canonical(string tenant, AccessEntry e) => string.Join(
        '\u001f',
        tenant,
        e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
        e.Subject,
        e.Role,
        e.Operation,
        e.TargetKind,
        e.TargetId ?? string.Empty,
        e.Outcome.ToString(CultureInfo.InvariantCulture),
        e.TraceId);

    // PostgreSQL keeps microseconds: the hashed time must be the stored time.
    private static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        return command;
    }
}

public sealed record AccessLogFilter(string? Target, string? Subject, DateTimeOffset? From, DateTimeOffset? Before, int Limit);

public sealed record BrokenEntry(string Tenant, long Id);

public sealed record AccessLogVerification(long Checked, IReadOnlyList<BrokenEntry> Broken, IReadOnlyDictionary<string, string> LastHashByArea);
