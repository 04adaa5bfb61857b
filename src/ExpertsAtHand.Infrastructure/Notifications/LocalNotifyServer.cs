using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ExpertsAtHand.Infrastructure.Notifications;

public sealed record SentEmail(string Id, string EmailAddress, string TemplateId, IReadOnlyDictionary<string, string> Personalisation, string Reference, DateTimeOffset ReceivedAt);

/// <summary>
/// A stand-in for GOV.UK Notify on loopback, for the embedded default and for tests: it checks the
/// token and the request as Notify does, answers in Notify's shapes, and records what was sent.
/// </summary>
public sealed class LocalNotifyServer : IAsyncDisposable
{
    /// <summary>A well-formed key that only this server accepts.</summary>
    public const string ApiKey = "local-00000000-0000-4000-8000-000000000001-00000000-0000-4000-8000-000000000002";

    private readonly HttpListener _listener = new();
    private readonly NotifyApiKey _key = NotifyApiKey.Parse(ApiKey);
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<SentEmail> _sent = new();
    private readonly Task _serving;

    public LocalNotifyServer(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }
    public IReadOnlyCollection<SentEmail> Sent => [.. _sent];

    /// <summary>When set, every request is answered with this status (to test failure handling).</summary>
    public HttpStatusCode? FailWith { get; set; }

    /// <summary>When set, a send is recorded at once but answered only after this long.</summary>
    public TimeSpan? SlowDown { get; set; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await AnswerAsync(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or JsonException)
            {
                context.Response.Abort();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        if (FailWith is { } status)
        {
            await WriteErrorAsync(response, status, "Error", "Simulated failure").ConfigureAwait(false);
            return;
        }

        var searching = context.Request.HttpMethod == "GET" && context.Request.Url?.AbsolutePath == "/v2/notifications";
        if (!searching && (context.Request.HttpMethod != "POST" || context.Request.Url?.AbsolutePath != "/v2/notifications/email"))
        {
            await WriteErrorAsync(response, HttpStatusCode.NotFound, "NotFound", "Not found").ConfigureAwait(false);
            return;
        }

        var authorization = context.Request.Headers["Authorization"];
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !_key.Accepts(authorization[7..], _clock.GetUtcNow()))
        {
            await WriteErrorAsync(response, HttpStatusCode.Forbidden, "AuthError", "Invalid token: signature, api token not found").ConfigureAwait(false);
            return;
        }

        if (searching)
        {
            // Notify's GET /v2/notifications: filtered by reference, newest first.
            var wanted = context.Request.QueryString["reference"];
            response.StatusCode = (int)HttpStatusCode.OK;
            response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(response.OutputStream, new
            {
                notifications = _sent.Where(s => wanted is null || s.Reference == wanted).Reverse().Select(s => new { id = s.Id, reference = s.Reference, type = "email", status = "delivered" }),
            }).ConfigureAwait(false);
            response.Close();
            return;
        }


        using var body = await JsonDocument.ParseAsync(context.Request.InputStream).ConfigureAwait(false);
        var root = body.RootElement;
        var email = root.TryGetProperty("email_address", out var e) ? e.GetString() : null;
        var template = root.TryGetProperty("template_id", out var t) ? t.GetString() : null;
        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal))
        {
            await WriteErrorAsync(response, HttpStatusCode.BadRequest, "ValidationError", "email_address Not a valid email address").ConfigureAwait(false);
            return;
        }

        if (!Guid.TryParse(template, out _))
        {
            await WriteErrorAsync(response, HttpStatusCode.BadRequest, "ValidationError", "template_id is not a valid UUID").ConfigureAwait(false);
            return;
        }

        var personalisation = root.TryGetProperty("personalisation", out var p) && p.ValueKind == JsonValueKind.Object
            ? p.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.ToString())
            : [];
        var reference = root.TryGetProperty("reference", out var r) ? r.GetString() ?? string.Empty : string.Empty;
        var sent = new SentEmail(Guid.NewGuid().ToString(), email, template!, personalisation, reference, _clock.GetUtcNow());
        _sent.Enqueue(sent);
        if (SlowDown is { } slow)
        {
            await Task.Delay(slow).ConfigureAwait(false); // a slow Notify: the sender may give up before the answer, though the e-mail went
        }

        response.StatusCode = (int)HttpStatusCode.Created;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.OutputStream, new
        {
            id = sent.Id,
            reference = sent.Reference,
            content = new { subject = "Experts at Hand", body = string.Join(", ", personalisation.Select(kv => $"{kv.Key}: {kv.Value}")), from_email = "experts-at-hand@notifications.service.gov.uk" },
            uri = $"{BaseUrl}/v2/notifications/{sent.Id}",
            template = new { id = template, version = 1, uri = $"{BaseUrl}/v2/template/{template}" },
        }).ConfigureAwait(false);
        response.Close();
    }

    private static async Task WriteErrorAsync(HttpListenerResponse response, HttpStatusCode status, string error, string message)
    {
        response.StatusCode = (int)status;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.OutputStream, new { status_code = (int)status, errors = new[] { new { error, message } } }).ConfigureAwait(false);
        response.Close();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // .NET's managed listener looks its port up again while closing and can find another process
            // on it by then ("address already in use"): the listener is stopped either way.
        }

        await _serving.ConfigureAwait(false);
    }
}
