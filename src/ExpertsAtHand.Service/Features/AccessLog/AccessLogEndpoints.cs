using System.Globalization;
using System.Text;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.AccessLog;

/// <summary>"Who has looked at this request?" for coordinators; the area's whole log for administrators.</summary>
public static class AccessLogEndpoints
{
    public static IEndpointRouteBuilder MapAccessLog(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/requests/{id:guid}/access-log", ForRequestAsync).WithTags("Requests").RequireAuthorization("member")
            .WithMetadata(new ReadsChildRecords("request"))
            .WithName("RequestAccessLog").WithSummary("Who has looked at this request, and who was refused: newest first.")
            .Produces<IReadOnlyList<AccessEntry>>().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/admin/access-log", ForAreaAsync).WithTags("Administration").RequireAuthorization("member")
            .WithName("AreaAccessLog").WithSummary("The area's access log, newest first, filtered by request or setting, person and period; as CSV with format=csv.")
            .Produces<IReadOnlyList<AccessEntry>>().Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> ForRequestAsync(Guid id, HttpContext http, AccessLogBook book, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("Who has looked at a request is for triage coordinators.");
        }

        await using var exists = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM rm_requests WHERE tenant_id = $1 AND request_id = $2)");
        exists.Parameters.Add(new NpgsqlParameter { Value = caller.Tenant });
        exists.Parameters.Add(new NpgsqlParameter { Value = id });
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return Problems.NotFound("request");
        }

        return TypedResults.Ok(await book.ReadAsync(caller.Tenant, new AccessLogFilter(id.ToString(), null, null, null, 1000), cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ForAreaAsync(
        HttpContext http,
        AccessLogBook book,
        string? target,
        string? subject,
        DateOnly? from,
        DateOnly? to,
        int? limit,
        string? format,
        Requests.RequestRulesCatalog area,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Administrator))
        {
            return Problems.Forbidden("The area's access log is for administrators.");
        }

        var errors = new Dictionary<string, string[]>();
        QueryValues.InRange(from, "from", errors);
        QueryValues.InRange(to, "to", errors);
        QueryValues.InRange(limit, 1, 10_000, "limit", "A limit of", errors);
        if (from > to)
        {
            errors["to"] = ["The period ends before it starts."];
        }

        if (format is not (null or "json" or "csv"))
        {
            errors["format"] = ["json or csv."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rules = area.For(caller.Tenant);
        var filter = new AccessLogFilter(target, subject, from is { } f ? rules.StartOf(f) : null, to is { } t ? rules.StartOf(t.AddDays(1)) : null, limit ?? 1000);
        var entries = await book.ReadAsync(caller.Tenant, filter, cancellationToken).ConfigureAwait(false);
        if (format != "csv")
        {
            return TypedResults.Ok(entries);
        }

        var csv = new StringBuilder("id,at,subject,role,operation,target_kind,target_id,outcome,trace_id\n");
        foreach (var e in entries)
        {
            csv.AppendJoin(',', [
                e.Id.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
                CsvCells.Field(e.Subject),
                CsvCells.Field(e.Role),
                CsvCells.Field(e.Operation),
                CsvCells.Field(e.TargetKind),
                CsvCells.Field(e.TargetId ?? string.Empty),
                e.Outcome.ToString(CultureInfo.InvariantCulture),
                CsvCells.Field(e.TraceId),
            ]).Append('\n');
        }

        http.Response.Headers.ContentDisposition = $"attachment; filename=\"access-log-{caller.Tenant}.csv\"";
        return TypedResults.Text(csv.ToString(), "text/csv", Encoding.UTF8);
    }
}
