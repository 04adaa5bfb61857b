using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace ExpertsAtHand.Infrastructure.Notifications;

public sealed record NotifyOptions
{
    public const string LiveBaseUrl = "https://api.notifications.service.gov.uk";

    public required string ApiKey { get; init; }
    public string BaseUrl { get; init; } = LiveBaseUrl;
}

/// <summary>An e-mail by template: Notify's own field names on the wire.</summary>
public sealed record NotifyEmail(
    [property: JsonPropertyName("email_address")] string EmailAddress,
    [property: JsonPropertyName("template_id")] string TemplateId,
    [property: JsonPropertyName("personalisation")] IReadOnlyDictionary<string, string> Personalisation,
    [property: JsonPropertyName("reference")] string Reference);

public sealed record NotifyReceipt(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("reference")] string? Reference);

/// <summary>
/// Sends e-mail through the GOV.UK Notify REST API. Called only from message handlers, never from
/// an HTTP request; the message id is the <c>reference</c>, so a redelivered message is recognisable.
/// A rejection Notify will repeat (bad request, bad key) is a <see cref="NotifyRejectedException"/>;
/// throttling, timeouts and server errors are <see cref="HttpRequestException"/>s the handler's retry
/// policy tries again.
/// </summary>
public sealed class NotifyEmailSender(HttpClient http, NotifyOptions options, TimeProvider clock)
{
    private readonly NotifyApiKey _key = NotifyApiKey.Parse(options.ApiKey);

    /// <summary>
    /// Sends the e-mail unless Notify already holds one with its reference. A message redelivered after
    /// a crash, a lost answer or a database restart between the send and the message's completion
    /// finds the first e-mail and sends nothing: effectively once, as Notify's reference alone does not
    /// stop a repeat.
    /// </summary>
    public async Task<NotifyReceipt> SendOnceAsync(NotifyEmail email, CancellationToken cancellationToken) =>
        await FindAsync(email.Reference, cancellationToken).ConfigureAwait(false) ?? await SendAsync(email, cancellationToken).ConfigureAwait(false);

    /// <summary>The e-mail Notify holds under <paramref name="reference"/>, if any (Notify's search by reference).</summary>
    public async Task<NotifyReceipt?> FindAsync(string reference, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(options.BaseUrl.TrimEnd('/') + "/"), $"v2/notifications?template_type=email&reference={Uri.EscapeDataString(reference)}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key.CreateToken(clock.GetUtcNow()));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
            {
                throw new NotifyRejectedException($"Notify rejected the search by reference ({(int)response.StatusCode}): {detail}");
            }

            throw new HttpRequestException($"Notify answered {(int)response.StatusCode} to a search by reference: {detail}", null, response.StatusCode);
        }

        var found = await response.Content.ReadFromJsonAsync<NotificationList>(cancellationToken).ConfigureAwait(false);
        return found?.Notifications.FirstOrDefault(n => n.Reference == reference);
    }

    private sealed record NotificationList([property: JsonPropertyName("notifications")] IReadOnlyList<NotifyReceipt> Notifications);

    public async Task<NotifyReceipt> SendAsync(NotifyEmail email, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl.TrimEnd('/') + "/"), "v2/notifications/email"))
        {
            Content = JsonContent.Create(email),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key.CreateToken(clock.GetUtcNow()));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return await response.Content.ReadFromJsonAsync<NotifyReceipt>(cancellationToken).ConfigureAwait(false)
                   ?? throw new HttpRequestException("Notify answered 201 with no body.");
        }

        var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
        {
            throw new NotifyRejectedException($"Notify rejected the e-mail ({(int)response.StatusCode}): {detail}");
        }

        throw new HttpRequestException($"Notify answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
    }
}

/// <summary>Notify refused the e-mail itself (a 4xx other than throttling): sending it again cannot succeed.</summary>
public sealed class NotifyRejectedException(string message) : Exception(message);
