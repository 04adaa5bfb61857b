using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>The requests a caller may see, newest first, filtered and paged: the API's list and the pages' read the same.</summary>
public static class RequestList
{
    public static async Task<Paged<RequestSummary>> ForAsync(
        NpgsqlDataSource dataSource, Caller caller, string? setting, RequestStatus? status, Priority? priority, string? reference, int number, int size, CancellationToken cancellationToken, Guid? id = null)
    {
        const string Where =
            "tenant_id = $1 AND ($2::text IS NULL OR setting_urn = $2) AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR coalesce(priority, urgency) = $4) "
            + "AND ($5::text[] IS NULL OR setting_urn = ANY($5)) AND ($6::text IS NULL OR $6 = ANY(practitioners)) AND ($7::text IS NULL OR reference = upper($7)) AND ($8::uuid IS NULL OR request_id = $8)";
        object?[] scope =
        [
            caller.Tenant,
            setting,
            status?.ToString(),
            priority?.ToString(),
            caller.Is(Roles.Senco) ? caller.SettingUrns.ToArray() : null,
            caller.Is(Roles.Practitioner) ? caller.PractitionerId ?? string.Empty : null,
            reference,
            id,
        ];

        long total;
        await using (var count = dataSource.CreateCommand($"SELECT count(*) FROM rm_requests WHERE {Where}"))
        {
            Bind(count, scope);
            total = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using var query = dataSource.CreateCommand($"SELECT {SummaryColumns} FROM rm_requests WHERE {Where} ORDER BY raised_at DESC, request_id LIMIT $9 OFFSET $10");
        Bind(query, [.. scope, size, (long)(number - 1) * size]);
        var items = await ReadSummariesAsync(query, cancellationToken).ConfigureAwait(false);
        return new Paged<RequestSummary>(items, number, size, total);
    }

    /// <summary>
    /// Everything awaiting triage: urgent first, then fewest working days left; the requests waiting for
    /// information apart, their working days left frozen at what was left on the day the clock paused.
    /// </summary>
    public static async Task<IReadOnlyList<QueueEntry>> TriageQueueAsync(NpgsqlDataSource dataSource, string tenant, RequestRules area, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var query = dataSource.CreateCommand($"SELECT {SummaryColumns} FROM rm_requests WHERE tenant_id = $1 AND status IN ('AwaitingTriage', 'AwaitingInformation')");
        Bind(query, [tenant]);
        var waiting = await ReadSummariesAsync(query, cancellationToken).ConfigureAwait(false);
        var today = area.LocalDate(clock.GetUtcNow());
        int Left(RequestSummary r)
        {
            var from = r.PausedOn ?? today;
            return r.TriageDueBy >= from ? area.Calendar.WorkingDaysBetween(from, r.TriageDueBy) : -area.Calendar.WorkingDaysBetween(r.TriageDueBy, from);
        }

        return
        [
            .. waiting
                .Select(r => new QueueEntry(r, Left(r), r.Status == RequestStatus.AwaitingInformation))
                .OrderBy(q => q.WaitingForInformation)
                .ThenBy(q => q.Request.Urgency)
                .ThenBy(q => q.WorkingDaysLeft)
                .ThenBy(q => q.Request.RaisedAt),
        ];
    }

    public const string SummaryColumns =
        "request_id, reference, version, setting_urn, level, status, urgency, priority, disciplines, received_on, triage_due_by, first_contact_due_by, at_risk, breached, raised_at, reopened_at, paused_on";

    public static async Task<List<RequestSummary>> ReadSummariesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<RequestSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new RequestSummary(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3),
                Enum.Parse<RequestLevel>(reader.GetString(4)),
                Enum.Parse<RequestStatus>(reader.GetString(5)),
                Enum.Parse<Priority>(reader.GetString(6)),
                reader.IsDBNull(7) ? null : Enum.Parse<Priority>(reader.GetString(7)),
                [.. reader.GetFieldValue<string[]>(8).Select(Enum.Parse<Discipline>)],
                reader.GetFieldValue<DateOnly>(9),
                reader.GetFieldValue<DateOnly>(10),
                reader.IsDBNull(11) ? null : reader.GetFieldValue<DateOnly>(11),
                reader.GetBoolean(12),
                reader.GetBoolean(13),
                reader.GetFieldValue<DateTimeOffset>(14),
                reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
                reader.IsDBNull(16) ? null : reader.GetFieldValue<DateOnly>(16)));
        }

        return items;
    }

    public static void Bind(NpgsqlCommand command, object?[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(value switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Unknown },
                _ => new NpgsqlParameter { Value = value },
            });
        }
    }
}
