using Microsoft.AspNetCore.Authentication;
using System.Text.Json.Serialization;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Infrastructure.Postgres;
using ExpertsAtHand.Infrastructure.Notifications;
using ExpertsAtHand.Service.Features.Admin;
using ExpertsAtHand.Service.Features.Allocations;
using ExpertsAtHand.Service.Features.Health;
using ExpertsAtHand.Service.Features.Practitioners;
using ExpertsAtHand.Service.Features.Requests;
using ExpertsAtHand.Service.Features.Settings;
using FluentValidation;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace ExpertsAtHand.Service.Hosting;

/// <summary>Builds the web application: one place, used by `serve` and by the tests' in-memory host.</summary>
public static class ServiceHost
{
    /// <summary>
    /// The service's connections prepare a statement on its second use (Npgsql's automatic
    /// preparation): the event store, the read models and the daemon run the same few statements
    /// thousands of times, and PostgreSQL otherwise parses and plans every one. A connection string
    /// that sets Max Auto Prepare itself (0 turns it off) is left as it is.
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            settings.MaxAutoPrepare = 128;
            settings.AutoPrepareMinUsages = 2;
        }

        return new NpgsqlDataSourceBuilder(settings.ConnectionString) { Name = "experts-at-hand" }.Build();
    }

    /// <summary>
    /// Connections for as-of answers, which shadow read-model tables with temporary tables of the same
    /// names: a pool of their own, so the service's live connections never hold a temporary table and
    /// a plan prepared on them always reads the live tables. On these connections every prepared plan
    /// names temporary tables that are dropped when the answer's transaction rolls back, so PostgreSQL
    /// plans it afresh against the next answer's tables; preparing still saves parsing (an as-of answer
    /// at a tenth of national scale: 236 ms prepared, 634 ms unprepared).
    /// </summary>
    public static Features.Reports.AsOfConnections CreateAsOfConnections(string connectionString) => new(
        new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 128, AutoPrepareMinUsages = 2, ApplicationName = "experts-at-hand as-of" }.ConnectionString)
        {
            Name = "experts-at-hand-as-of",
        }.Build());

    public static WebApplicationBuilder CreateBuilder(string[] args, string connectionString)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false; // say nothing about what serves us
            kestrel.Limits.MaxRequestBodySize = HardenedEdges.ImportBodyLimit;
        });
        builder.Configuration["ConnectionStrings:Postgres"] = connectionString;

        builder.Logging.ClearProviders();
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase)
            || (builder.Configuration["Logging:Format"] is null && Console.IsOutputRedirected))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        var services = builder.Services;
        services.AddSingleton(_ => CreateDataSource(connectionString));
        services.AddSingleton(_ => CreateAsOfConnections(connectionString));
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemResponses>();
        // A body that does not bind (malformed JSON, unknown enum value) throws, so ProblemResponses can name the field.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            o.SerializerOptions.Converters.Add(new ControlFreeStringConverter());
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // A key sent twice is refused, so a gateway and the service can never read different values.
            o.SerializerOptions.AllowDuplicateProperties = false;
        });
        services.AddOpenApi(options => options.AddOperationTransformer((operation, context, _) =>
        {
            // What the edges can answer on any operation: throttling, and a body larger than its kind allows.
            operation.Responses ??= [];
            var problem = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchemaReference("ProblemDetails", context.Document) },
            };
            operation.Responses.TryAdd("429", new Microsoft.OpenApi.OpenApiResponse { Description = "Too many requests: retry after the seconds in Retry-After.", Content = problem });
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<AcceptsIdempotencyKey>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
                {
                    Name = IdempotentCreates.Header,
                    In = Microsoft.OpenApi.ParameterLocation.Header,
                    Description = "Optional: a key of your own (a UUID) for this create. Sent again with the same body, the first answer comes back (Idempotent-Replayed: true) and nothing is created twice; with another body, 422. Kept 24 hours.",
                    Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, MaxLength = 100 },
                });
            }

            if (operation.RequestBody is not null)
            {
                operation.Responses.TryAdd("413", new Microsoft.OpenApi.OpenApiResponse { Description = $"The body is larger than this kind of request carries ({HardenedEdges.JsonBodyLimit / 1024} KB of JSON, {HardenedEdges.ImportBodyLimit / 1024 / 1024} MB of CSV).", Content = problem });
            }

            return Task.CompletedTask;
        }).AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Experts at Hand";
            document.Info.Description = "Triage and case management for a local area's Experts at Hand offer. Authenticate with a bearer token carrying role, tenant and (for SENCOs) urn claims.";
            document.Info.Version = "v1";
            // The contract must not depend on the host that served it: the API is relative to wherever the service runs.
            document.Servers = [new Microsoft.OpenApi.OpenApiServer { Url = "/", Description = "The service itself: the API and its pages share one origin." }];
            document.Info.License = new Microsoft.OpenApi.OpenApiLicense { Name = "Proprietary: for the local area partnerships running the service", Identifier = "LicenseRef-Proprietary" };
            document.Tags = new HashSet<Microsoft.OpenApi.OpenApiTag>(
                TagDescriptions.Select(t => new Microsoft.OpenApi.OpenApiTag { Name = t.Key, Description = t.Value }));
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>
            {
                ["Bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
                {
                    Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "Claims: sub, role (senco, coordinator, practitioner, commissioner, administrator), tenant, urn (SENCOs), practitioner (practitioners).",
                },
            };
            document.Security = [new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
            return Task.CompletedTask;
        }));
        Identity.Add(builder);
        // The pages: server-rendered Razor Pages on the same handlers and queries as the API.
        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/Requests", PageSession.Policy);
            options.Conventions.AuthorizeFolder("/Dashboard", PageSession.Policy);
            options.Conventions.AuthorizeFolder("/Admin", PageSession.Policy);
            options.Conventions.AuthorizeFolder("/Clinics", PageSession.Policy);
            // The imports page takes files as large as the API's CSV imports do.
            options.Conventions.AddPageApplicationModelConvention("/Admin/Imports", model => model.EndpointMetadata.Add(new Microsoft.AspNetCore.Http.Metadata.AcceptsMetadata(["multipart/form-data", "text/csv"])));
            options.Conventions.AuthorizeFolder("/Team", PageSession.Policy);
            options.Conventions.AuthorizeFolder("/Entitlement", PageSession.Policy);
            options.Conventions.AuthorizeFolder("/Feedback", PageSession.Policy);
            // Every page under /requests shows a child's record: each view is in the access log.
            options.Conventions.AddFolderApplicationModelConvention("/Requests", model => model.EndpointMetadata.Add(new Features.AccessLog.ReadsChildRecords("request")));
        }).AddApplicationPart(typeof(ServiceHost).Assembly); // the pages live here whichever program hosts them (serve, or a test)
        RequestLimits.Add(builder);
        HardenedEdges.AddForwardedHeaders(builder);
        Telemetry.Add(builder);

        AddDomain(services, builder.Configuration);
        AddNotify(services, builder.Configuration);
        builder.AddMartenAndWolverine();
        return builder;
    }

    /// <summary>What each group of operations is for, in the users' words.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Health"] = "Liveness and readiness, for load balancers and service managers.",
        ["Requests"] = "Requests for support: raised by settings, triaged in one queue, allocated, delivered and closed.",
        ["Allocations"] = "The allocation engine's suggestions, the explanations of allocations made, and proactive outreach.",
        ["Clinics"] = "Consultation clinics and training with places settings book; attendance counts as delivered support.",
        ["Settings"] = "The early years settings, schools and colleges of the local area, with the figures entitlement is drawn from.",
        ["Practitioners"] = "The practitioners who give the offer's time: their disciplines, localities, weekly hours and absences.",
        ["Feedback"] = "Satisfaction from settings and families after support, the themes coordinators tag in it, and what the service did about them.",
        ["Reports"] = "Commissioners' measures: coverage, timeliness, de-escalation, equity, capacity and the quarterly return, live or as of a date.",
        ["Administration"] = "Operating the service: projection status and messages that failed for good.",
    };

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        Configure(app);
        return app;
    }

    /// <summary>The request pipeline and every endpoint: what `serve` runs and what the tests' Alba host runs.</summary>
    public static void Configure(WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseHardenedEdges();
        app.UseStatusCodePages();
        app.UseStaticFiles(); // GOV.UK Frontend's styles, scripts and images (wwwroot)
        app.UseControlCharacterGuard();
        app.UseSecurityEventLog();
        Features.AccessLog.AccessLogBook.UseAccessLog(app); // before authentication: refused attempts are recorded too
        app.UseAuthentication();
        // Outside /api the person is the page session's (the API reads bearer tokens only, so no cookie can act on it).
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal) && context.User.Identity?.IsAuthenticated != true
                && await context.AuthenticateAsync(PageSession.Scheme).ConfigureAwait(false) is { Succeeded: true } session)
            {
                context.User = session.Principal;
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseRateLimiter(); // after authentication: the subject's own bucket
        app.UseAuthorization();
        app.UseIdempotentCreates(); // after authorization: keys are the caller's own
        app.MapOpenApi();
        app.MapRazorPages();
        app.MapHealth();
        app.MapSettings();
        app.MapPractitioners();
        app.MapRequests();
        Features.AccessLog.AccessLogEndpoints.MapAccessLog(app);
        Features.Privacy.EraseRequestDetailsEndpoint.MapErasure(app);
        Features.Privacy.RetentionStatusEndpoint.MapRetentionStatus(app);
        Features.Feedback.FeedbackEndpoints.MapFeedback(app);
        Features.Feedback.YouSaidWeDidEndpoints.MapYouSaidWeDid(app);
        app.MapAllocations();
        app.MapOutreach();
        Features.Clinics.ClinicEndpoints.MapClinics(app);
        Features.Reports.TimelinessEndpoints.MapReports(app);
        Features.Reports.DeEscalationEndpoints.MapDeEscalation(app);
        Features.Reports.CoverageEndpoints.MapCoverage(app);
        Features.Reports.QuarterlyReturnEndpoints.MapQuarterlyReturn(app);
        Features.Reports.EquityEndpoints.MapEquity(app);
        Features.Reports.CapacityEndpoints.MapCapacity(app);
        Features.Reports.SatisfactionEndpoints.MapSatisfaction(app);
        Features.Reports.WhatIfEndpoints.MapWhatIf(app);
        app.MapDeadLetters();
        app.MapProjectionStatus();
        app.MapQueueStatus();
    }

    /// <summary>
    /// Brings the schema up to date before the node takes traffic: Marten's event store tables first
    /// (Wolverine builds its own as it starts), then our report and read-model tables.
    /// </summary>
    public static async Task MigrateAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        await EarlierVersion.RefuseAsync(dataSource, cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync().ConfigureAwait(false);
        var runner = new MigrationRunner(dataSource, app.Services.GetRequiredService<ILogger<MigrationRunner>>());
        await runner.ApplyAsync(Schema.Migrations, cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<Features.Privacy.DetailKeys>().EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await Features.Privacy.RecordedBeforeSealing.SealAsync(app.Services, cancellationToken).ConfigureAwait(false);
    }

    private static void AddDomain(IServiceCollection services, ConfigurationManager configuration)
    {
        services.AddSingleton(_ => RequestRulesCatalog.FromConfiguration(configuration));
        services.AddScoped<RequestCommandHandler>(); // scoped: it holds the request's Wolverine outbox
        services.AddSingleton<ChildReferenceRules>();
        services.AddSingleton<RequestReferences>();
        services.AddSingleton<Features.Privacy.DetailKeys>();
        services.AddSingleton<Features.Privacy.RetentionRules>();
        services.AddSingleton<Features.Privacy.DetailErasure>();
        services.AddSingleton<Features.Privacy.RetentionSweep>();
        services.AddHostedService<Features.Privacy.RetentionSchedule>();
        services.AddSingleton<IValidator<Features.Privacy.ErasureBody>, Features.Privacy.ErasureValidator>();
        services.AddSingleton<Features.Reports.RecordedYearReader>();
        services.AddSingleton<Features.Feedback.FeedbackCommandHandler>();
        services.AddSingleton<Features.Feedback.FamilyFeedbackCodes>();
        services.AddSingleton<Features.Feedback.ServiceChanges>();
        services.AddSingleton<IValidator<Features.Feedback.SettingFeedbackBody>, Features.Feedback.SettingFeedbackValidator>();
        services.AddSingleton<IValidator<Features.Feedback.FamilyFeedbackBody>, Features.Feedback.FamilyFeedbackValidator>();
        services.AddSingleton<IValidator<Features.Feedback.ThemesBody>, Features.Feedback.ThemesValidator>();
        services.AddSingleton<IValidator<Features.Feedback.ServiceChangeBody>, Features.Feedback.ServiceChangeValidator>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<Features.AccessLog.AccessLogBook>();
        services.AddSingleton<Features.Reports.ReportSource>();
        services.AddSingleton<DeadLetterBox>();
        services.AddSingleton<StartupState>();
        services.AddHostedService<GapWatch>();
        services.AddSingleton<MessageQueues>();
        services.AddSingleton<NodeSignals>();
        services.AddHostedService(provider => provider.GetRequiredService<NodeSignals>());
        services.AddSingleton<AllocationPlanner>();
        services.AddSingleton<Features.Clinics.ClinicBook>();
        services.AddSingleton<EntitlementUse>();
        services.AddSingleton<AllocationChoice>();
        services.AddSingleton<Features.Practitioners.PractitionerDirectory>();
        services.AddSingleton(_ => new EntitlementCatalog(configuration));
        services.AddSingleton<IValidator<RaiseRequestBody>, RaiseRequestValidator>();
        services.AddSingleton<IValidator<RequestInformationBody>, RequestInformationValidator>();
        services.AddSingleton<IValidator<ProvideInformationBody>, ProvideInformationValidator>();
        services.AddSingleton<IValidator<TriageBody>, TriageValidator>();
        services.AddSingleton<IValidator<AllocateBody>, AllocateValidator>();
        services.AddSingleton<IValidator<RecordContactBody>, RecordContactValidator>();
        services.AddSingleton<IValidator<CloseBody>, CloseValidator>();
        services.AddSingleton<IValidator<ReasonBody>, ReasonValidator>();
        services.AddSingleton<IValidator<SettingBody>, SettingValidator>();
        services.AddSingleton<IValidator<PractitionerBody>, PractitionerValidator>();
        services.AddSingleton<IValidator<AbsenceBody>, AbsenceValidator>();
        services.AddSingleton<IValidator<Features.Clinics.ScheduleClinicBody>, Features.Clinics.ScheduleClinicValidator>();
        services.AddSingleton<IValidator<Features.Clinics.BookingBody>, Features.Clinics.BookingValidator>();
        services.AddSingleton<IValidator<Features.Clinics.AttendanceBody>, Features.Clinics.AttendanceValidator>();
    }

    private static void AddNotify(IServiceCollection services, ConfigurationManager configuration)
    {
        // Real GOV.UK Notify when a key is configured; otherwise a local stand-in that records what was sent.
        if (configuration["Notify:ApiKey"] is not { Length: > 0 })
        {
            services.AddSingleton(provider => new LocalNotifyServer(provider.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton(provider =>
        {
            var key = configuration["Notify:ApiKey"];
            var options = key is { Length: > 0 }
                ? new NotifyOptions { ApiKey = key, BaseUrl = configuration["Notify:BaseUrl"] ?? NotifyOptions.LiveBaseUrl }
                : new NotifyOptions { ApiKey = LocalNotifyServer.ApiKey, BaseUrl = provider.GetRequiredService<LocalNotifyServer>().BaseUrl };
            return new NotifyEmailSender(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, options, provider.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(_ => new Features.Feedback.FeedbackMailboxes(
            configuration.GetSection("Notify:SettingMailboxes").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? string.Empty, StringComparer.Ordinal),
            configuration["Notify:Templates:FeedbackRequested"] ?? "5b1b3c8e-0a43-4d2e-9a53-7f3f1f0d4a03"));
        services.AddSingleton(_ => new CoordinatorAlerts(
            configuration.GetSection("Notify:CoordinatorMailboxes").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? string.Empty, StringComparer.Ordinal),
            configuration["Notify:CoordinatorMailbox"] ?? "triage-coordinators@example.gov.uk",
            configuration["Notify:Templates:SlaAtRisk"] ?? "5b1b3c8e-0a43-4d2e-9a53-7f3f1f0d4a01",
            configuration["Notify:Templates:SlaBreached"] ?? "5b1b3c8e-0a43-4d2e-9a53-7f3f1f0d4a02"));
    }
}
