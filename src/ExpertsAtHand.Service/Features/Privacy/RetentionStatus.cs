using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>The area's retention rule, what is due soon, and what was erased: keys and counts, no details.</summary>
public sealed record RetentionView(
    int ChildAge,
    int SettingRequestYears,
    int AccessLogMonths,
    int DeadLetterDays,
    IReadOnlyList<RetentionDue> DueSoon,
    IReadOnlyList<ErasureRecord> Done);

/// <param name="OpenRequests">Requests still open hold the erasure back until they close.</param>
public sealed record RetentionDue(Guid KeyId, DateOnly EraseDueOn, int Requests, int OpenRequests);

public sealed record ErasureRecord(Guid KeyId, int Requests, string Grounds, string ErasedBy, DateTimeOffset ErasedAt);

/// <summary>GET /api/admin/retention: for the area's administrators.</summary>
public static class RetentionStatusEndpoint
{
    public static IEndpointRouteBuilder MapRetentionStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/admin/retention", ReadAsync).WithTags("Administration").RequireAuthorization("member")
            .WithName("RetentionStatus").WithSummary("The area's retention rule, the children's keys due for erasure in the next days, and the erasures done, newest first.")
            .Produces<RetentionView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ReadAsync(HttpContext http, NpgsqlDataSource dataSource, RetentionRules rules, RequestRulesCatalog areas, TimeProvider clock, int? days, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("Retention is for the area's administrators.");
        }

        if (days is < 1 or > 3660)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["days"] = ["How many days ahead to look: from 1 to 3660 (90 unless given)."] });
        }

        var today = areas.For(caller.Tenant).LocalDate(clock.GetUtcNow());
        var due = new List<RetentionDue>();
        await using (var command = dataSource.CreateCommand(
            "SELECT k.key_id, k.erase_due_on, count(r.request_id)::int, count(r.request_id) FILTER (WHERE r.status NOT IN ('Closed', 'Withdrawn'))::int "
            + "FROM detail_keys k LEFT JOIN rm_requests r ON r.tenant_id = k.tenant_id AND r.details_key = k.key_id "
            + "WHERE k.tenant_id = $1 AND k.erase_due_on <= $2 GROUP BY k.key_id, k.erase_due_on ORDER BY k.erase_due_on, k.key_id LIMIT 1000"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = today.AddDays(days ?? 90) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                due.Add(new RetentionDue(reader.GetGuid(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), reader.GetInt32(3)));
            }
        }

        var done = new List<ErasureRecord>();
        await using (var command = dataSource.CreateCommand("SELECT key_id, requests, grounds, erased_by, erased_at FROM erasures WHERE tenant_id = $1 ORDER BY erased_at DESC, id DESC LIMIT 1000"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                done.Add(new ErasureRecord(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        var rule = rules.For(caller.Tenant);
        return TypedResults.Ok(new RetentionView(rule.ChildAge, rule.SettingRequestYears, rules.AccessLogMonths, rules.DeadLetterDays, due, done));
    }
}
