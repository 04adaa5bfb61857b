using System.Net;
using ExpertsAtHand.Infrastructure.Notifications;

namespace ExpertsAtHand.Infrastructure.Tests;

public sealed class NotifyTests
{
    private static readonly string Template = "f33517ff-2a88-4f6e-b855-c550268ce08a";

    [Fact]
    public async Task An_email_reaches_notify_signed_with_the_key_and_carrying_the_message_id_as_reference()
    {
        await using var notify = new LocalNotifyServer();
        using var http = new HttpClient();
        var sender = new NotifyEmailSender(http, new NotifyOptions { ApiKey = LocalNotifyServer.ApiKey, BaseUrl = notify.BaseUrl }, TimeProvider.System);
        var messageId = Guid.NewGuid().ToString();

        var receipt = await sender.SendAsync(
            new NotifyEmail("coordinator@example.gov.uk", Template, new Dictionary<string, string> { ["request"] = "R-1042", ["due"] = "5 December" }, messageId),
            CancellationToken.None);

        var sent = Assert.Single(notify.Sent);
        Assert.Equal(receipt.Id, sent.Id);
        Assert.Equal(messageId, receipt.Reference);
        Assert.Equal(messageId, sent.Reference);
        Assert.Equal("coordinator@example.gov.uk", sent.EmailAddress);
        Assert.Equal("R-1042", sent.Personalisation["request"]);
    }

    [Fact]
    public async Task A_request_notify_rejects_is_refused_for_good_and_a_server_error_is_an_http_failure_to_retry()
    {
        await using var notify = new LocalNotifyServer();
        using var http = new HttpClient();
        var sender = new NotifyEmailSender(http, new NotifyOptions { ApiKey = LocalNotifyServer.ApiKey, BaseUrl = notify.BaseUrl }, TimeProvider.System);

        var rejected = await Assert.ThrowsAsync<NotifyRejectedException>(() => sender.SendAsync(new NotifyEmail("not-an-address", Template, new Dictionary<string, string>(), "r"), CancellationToken.None));
        Assert.Contains("email_address", rejected.Message, StringComparison.Ordinal);

        notify.FailWith = HttpStatusCode.InternalServerError;
        var failed = await Assert.ThrowsAsync<HttpRequestException>(() => sender.SendAsync(new NotifyEmail("a@example.org", Template, new Dictionary<string, string>(), "r"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Empty(notify.Sent);
    }

    [Fact]
    public async Task A_send_whose_answer_was_lost_is_found_by_its_reference_and_not_sent_again()
    {
        await using var notify = new LocalNotifyServer { SlowDown = TimeSpan.FromSeconds(2) };
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        using var http = new HttpClient();
        var options = new NotifyOptions { ApiKey = LocalNotifyServer.ApiKey, BaseUrl = notify.BaseUrl };
        var email = new NotifyEmail("coordinator@example.gov.uk", Template, new Dictionary<string, string>(), "message-7");

        // The e-mail goes, but the answer never arrives: the message will be delivered again.
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => new NotifyEmailSender(impatient, options, TimeProvider.System).SendOnceAsync(email, CancellationToken.None));
        notify.SlowDown = null;
        var again = await new NotifyEmailSender(http, options, TimeProvider.System).SendOnceAsync(email, CancellationToken.None);

        var sent = Assert.Single(notify.Sent);
        Assert.Equal(sent.Id, again.Id);
        var other = await new NotifyEmailSender(http, options, TimeProvider.System).SendOnceAsync(email with { Reference = "message-8" }, CancellationToken.None);
        Assert.NotEqual(sent.Id, other.Id);
        Assert.Equal(2, notify.Sent.Count);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_or_too_old_is_refused()
    {
        await using var notify = new LocalNotifyServer();
        using var http = new HttpClient();
        var wrongKey = "other-11111111-1111-4111-8111-111111111111-22222222-2222-4222-8222-222222222222";
        var impostor = new NotifyEmailSender(http, new NotifyOptions { ApiKey = wrongKey, BaseUrl = notify.BaseUrl }, TimeProvider.System);
        var stale = new NotifyEmailSender(http, new NotifyOptions { ApiKey = LocalNotifyServer.ApiKey, BaseUrl = notify.BaseUrl }, new FixedClock(DateTimeOffset.UtcNow.AddMinutes(-5)));
        var email = new NotifyEmail("a@example.org", Template, new Dictionary<string, string>(), "r");

        await Assert.ThrowsAsync<NotifyRejectedException>(() => impostor.SendAsync(email, CancellationToken.None));
        await Assert.ThrowsAsync<NotifyRejectedException>(() => stale.SendAsync(email, CancellationToken.None));
        Assert.Empty(notify.Sent);
    }

    [Fact]
    public void An_api_key_is_split_into_service_id_and_secret_and_malformed_keys_are_refused()
    {
        var key = NotifyApiKey.Parse(LocalNotifyServer.ApiKey);

        Assert.Equal("00000000-0000-4000-8000-000000000001", key.ServiceId);
        Assert.Equal("00000000-0000-4000-8000-000000000002", key.Secret);
        Assert.Throws<FormatException>(() => NotifyApiKey.Parse("not-a-key"));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
