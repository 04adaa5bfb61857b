using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Hosting;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using static ExpertsAtHand.Service.Hosting.HttpConventions;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>Requests for support: raise, read, and move through triage to closure.</summary>
public static class RequestEndpoints
{
    public static IEndpointRouteBuilder MapRequests(this IEndpointRouteBuilder endpoints)
    {
        var requests = endpoints.MapGroup("/api/requests").WithTags("Requests").RequireAuthorization("member").WithMetadata(new AccessLog.ReadsChildRecords("request")).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);

        requests.MapPost("/", RaiseAsync).WithName("RaiseRequest").WithSummary("A SENCO (or a coordinator for them) raises a request for support.")
            .Produces<RequestView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict).AcceptingIdempotencyKey();
        requests.MapGet("/", ListAsync).WithName("ListRequests").WithSummary("Requests the caller may see, newest first, filtered and paged.")
            .Produces<Paged<RequestSummary>>().ProducesValidationProblem();
        requests.MapGet("/{id:guid}", GetAsync).WithName("GetRequest").WithSummary("One request, with its ETag for the next command.")
            .Produces<RequestView>().ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapGet("/{id:guid}/history", HistoryAsync).WithName("RequestHistory").WithSummary("The request's audit timeline: every event, who and when.")
            .Produces<IReadOnlyList<TimelineEntry>>().ProducesProblem(StatusCodes.Status404NotFound);

        Command<RequestInformationBody>(requests, "/{id:guid}/information-requests", "RequestInformation", "A coordinator asks the setting for more information; the triage clock pauses.",
            (body, caller, at) => new RequestInformation(body.Question!, caller.Actor, at), Roles.Coordinator);
        Command<ProvideInformationBody>(requests, "/{id:guid}/information", "ProvideInformation", "The SENCO answers; the triage clock restarts.",
            (body, caller, at) => new ProvideInformation(body.Answer!, caller.Actor, at), Roles.Senco);
        Command<TriageBody>(requests, "/{id:guid}/triage", "Triage", "The single triage decision: accept, route to a specialist pathway, or decline with signposting.",
            TriageDecision.Command,
            Roles.Coordinator);
        Command<RecordContactBody>(requests, "/{id:guid}/contacts", "RecordContact", "An allocated practitioner records a delivered contact or session.",
            (body, caller, at) => new RecordContact(Guid.CreateVersion7(), body.Date!.Value, body.DurationMinutes!.Value, body.Mode!.Value, body.Attended!, caller.PractitionerId ?? string.Empty, caller.Actor, at),
            Roles.Practitioner);
        Command<CloseBody>(requests, "/{id:guid}/closure", "CloseRequest", "The coordinator or an allocated practitioner closes the request with an outcome.",
            (body, caller, at) => new CloseRequest(body.Outcome!.Value, body.Note!, caller.Actor, at), Roles.Coordinator, Roles.Practitioner);
        Command<ReasonBody>(requests, "/{id:guid}/reopening", "ReopenRequest", "A coordinator reopens a closed request; it returns to triage.",
            (body, caller, at) => new ReopenRequest(body.Reason!, caller.Actor, at), Roles.Coordinator);
        Command<ReasonBody>(requests, "/{id:guid}/withdrawal", "WithdrawRequest", "The setting withdraws its request at any open stage.",
            (body, caller, at) => new WithdrawRequest(body.Reason!, caller.Actor, at), Roles.Senco, Roles.Coordinator);

        endpoints.MapGet("/api/triage-queue", QueueAsync).WithTags("Requests").RequireAuthorization("member").WithMetadata(new AccessLog.ReadsChildRecords("request"))
            .WithName("TriageQueue").WithSummary("Everything awaiting triage: urgent first, then least time left against the standard.")
            .Produces<IReadOnlyList<QueueEntry>>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> RaiseAsync(
        [FromBody] RaiseRequestBody? body,
        HttpContext http,
        IValidator<RaiseRequestBody> validator,
        RequestCommandHandler handler,
        NpgsqlDataSource dataSource,
        ChildReferenceRules childReferences,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Senco, Roles.Coordinator))
        {
            return Problems.Forbidden("Only a SENCO or a triage coordinator raises requests.");
        }

        if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
        {
            return invalid;
        }

        if (caller.Is(Roles.Senco) && !caller.SettingUrns.Contains(body!.SettingUrn!, StringComparer.Ordinal))
        {
            return Problems.Forbidden("You can raise requests only for your own setting.");
        }

        if (await RaiseRequestChecks.RefusalsAsync(body!, caller, dataSource, childReferences, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return TypedResults.ValidationProblem(refused, title: "Some of what was sent is not valid");
        }

        var command = RaiseRequestChecks.Command(body!, IdempotentCreates.IdFor(http, "request") ?? Guid.CreateVersion7(), caller, clock.GetUtcNow());
        var result = await handler.RaiseAsync(command, caller, cancellationToken).ConfigureAwait(false);
        if (result is CommandResult.Done done)
        {
            SetVersion(http.Response, done.View.Version);
            return TypedResults.Created($"/api/requests/{done.View.Id}", done.View);
        }

        return ToHttp(result, http);
    }

    private static void Command<TBody>(RouteGroupBuilder group, string pattern, string name, string summary, Func<TBody, Caller, DateTimeOffset, RequestCommand> build, params string[] roles)
        where TBody : class
    {
        group.MapPost(pattern, async (Guid id, [FromBody] TBody? body, HttpContext http, IValidator<TBody> validator, RequestCommandHandler handler, CancellationToken cancellationToken) =>
            {
                var caller = Caller.From(http.User)!;
                if (!caller.Is(roles))
                {
                    return Problems.Forbidden($"This is done by a {string.Join(" or ", roles)}.");
                }

                var (expected, precondition) = ExpectedVersion(http.Request);
                if (precondition is not null)
                {
                    return precondition;
                }

                if (await ValidateAsync(validator, body, cancellationToken).ConfigureAwait(false) is { } invalid)
                {
                    return invalid;
                }

                var result = await handler.HandleAsync(id, expected, caller, at => build(body!, caller, at), cancellationToken).ConfigureAwait(false);
                return ToHttp(result, http);
            })
            .WithName(name)
            .WithSummary(summary)
            .Produces<RequestView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired);
    }

    public static IResult ToHttp(CommandResult result, HttpContext http)
    {
        switch (result)
        {
            case CommandResult.Done done:
                SetVersion(http.Response, done.View.Version);
                return TypedResults.Ok(done.View);
            case CommandResult.Stale stale:
                return PreconditionFailed(http.Response, "The request has changed since you read it", stale.Current);
            case CommandResult.Refused refused:
                return TypedResults.Problem(title: "That cannot be done to this request now", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict);
            default:
                return Problems.NotFound("request");
        }
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, Marten.IDocumentStore store, Privacy.DetailKeys keys, CancellationToken cancellationToken) =>
        await LoadVisibleAsync(id, http, store, cancellationToken).ConfigureAwait(false) switch
        {
            ({ } events, _) => TypedResults.Ok(RequestViews.Build(id, events[^1].Version, await keys.OpenAsync(events[0].TenantId, [.. events.Select(e => e.Data)], cancellationToken).ConfigureAwait(false))),
            (_, var problem) => problem!,
        };

    private static async Task<IResult> HistoryAsync(Guid id, HttpContext http, Marten.IDocumentStore store, Privacy.DetailKeys keys, CancellationToken cancellationToken) =>
        await LoadVisibleAsync(id, http, store, cancellationToken).ConfigureAwait(false) switch
        {
            ({ } events, _) => TypedResults.Ok(RequestViews.Timeline(events, await keys.OpenAsync(events[0].TenantId, [.. events.Select(e => e.Data)], cancellationToken).ConfigureAwait(false))),
            (_, var problem) => problem!,
        };

    /// <summary>A request's events if the caller may see it (and its ETag set), or the 403/404 to answer instead.</summary>
    private static async Task<(IReadOnlyList<JasperFx.Events.IEvent>? Events, IResult? Problem)> LoadVisibleAsync(Guid id, HttpContext http, Marten.IDocumentStore store, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Senco, Roles.Coordinator, Roles.Practitioner))
        {
            return (null, Problems.Forbidden("Child-level records are not available to your role."));
        }

        if (await RequestScope.ReadVisibleAsync(store, caller, id, cancellationToken).ConfigureAwait(false) is not { } events)
        {
            return (null, Problems.NotFound("request"));
        }

        SetVersion(http.Response, events[^1].Version);
        return (events, null);
    }

    private static async Task<IResult> ListAsync(
        HttpContext http,
        NpgsqlDataSource dataSource,
        string? setting,
        string? status,
        string? priority,
        string? reference,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Senco, Roles.Coordinator, Roles.Practitioner))
        {
            return Problems.Forbidden("Child-level records are not available to your role.");
        }

        var errors = new Dictionary<string, string[]>();
        var parsedStatus = QueryValues.Enum<RequestStatus>(status, "status", errors);
        var parsedPriority = QueryValues.Enum<Priority>(priority, "priority", errors);
        QueryValues.InRange(page, 1, MaxPage, "page", "A page number", errors);
        QueryValues.InRange(pageSize, 1, 200, "pageSize", "A page of", errors);
        if (setting is not null && await SettingIsOpenAsync(dataSource, caller.Tenant, setting, cancellationToken).ConfigureAwait(false) is null)
        {
            errors["setting"] = [$"No setting with URN {setting} is registered in your local area."];
        }

        if (reference is not null && !RequestReferences.LooksLikeOne(reference))
        {
            errors["reference"] = ["A request reference looks like NMR-2026-00123: the area's letters, the year and the number."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await RequestList.ForAsync(dataSource, caller, setting, parsedStatus, parsedPriority, reference, page ?? 1, pageSize ?? 50, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> QueueAsync(HttpContext http, NpgsqlDataSource dataSource, RequestRulesCatalog rules, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator))
        {
            return Problems.Forbidden("The triage queue is for triage coordinators.");
        }

        return TypedResults.Ok(await RequestList.TriageQueueAsync(dataSource, caller.Tenant, rules.For(caller.Tenant), clock, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Far beyond any area's requests at the largest page size, and far from overflowing an offset.</summary>
    private const int MaxPage = 100_000;

    /// <summary>Whether the setting is open, or null when the area has no such setting.</summary>
    internal static async Task<bool?> SettingIsOpenAsync(NpgsqlDataSource dataSource, string tenant, string urn, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT open FROM rm_settings WHERE tenant_id = $1 AND urn = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = urn });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as bool?;
    }
}
