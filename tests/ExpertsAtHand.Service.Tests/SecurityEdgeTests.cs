using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExpertsAtHand.Service.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Throttling, token checks and the security events an operator sees in the log.</summary>
public sealed class SecurityEdgeTests : SeededServiceTest, IDisposable
{
    private readonly CapturedLogs _logs = new();

    public void Dispose() => _logs.Dispose();

    protected override Task<ServiceApp> StartAsync() => ServiceApp.StartAsync(configure: builder => builder.Logging.AddProvider(_logs));

    [Fact]
    public async Task One_caller_sending_hundreds_of_requests_at_once_is_throttled_with_retry_after_and_others_are_still_served()
    {
        using var senco = App.As("senco", urn: Urn, subject: "busy-senco");
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => senco.GetAsync("/api/requests")));

        var throttled = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) >= 100, "the burst is honoured"); // and what refilled meanwhile
        Assert.NotEmpty(throttled);
        Assert.True(int.Parse(throttled[0].Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/problem+json", throttled[0].Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await App.As("coordinator", subject: "calm-coordinator").GetAsync("/api/triage-queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Contains(_logs.Entries, e => e.Category == "ExpertsAtHand.Security" && e.Message.StartsWith("Throttled /api/requests/: role senco", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refusals_and_failed_sign_ins_are_security_events_in_the_log_without_tokens_or_ids()
    {
        await App.Client.GetAsync("/api/triage-queue"); // no token
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/triage-queue");
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        var forgedAnswer = await App.Client.SendAsync(forged);
        await App.As("senco", urn: Urn, subject: "senco-42").GetAsync("/api/triage-queue"); // a SENCO at the coordinators' queue

        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        Assert.DoesNotContain("error_description", forgedAnswer.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var security = _logs.Entries.Where(e => e.Category == "ExpertsAtHand.Security").Select(e => e.Message).ToList();
        Assert.Contains(security, m => m.StartsWith("Refused 401 for GET /api/triage-queue: role anonymous", StringComparison.Ordinal));
        Assert.Contains(security, m => m.StartsWith("Authentication failed on", StringComparison.Ordinal));
        Assert.Contains(security, m => m.StartsWith("Refused 403 for GET /api/triage-queue: role senco, area test-area", StringComparison.Ordinal));
        Assert.DoesNotContain(security, m => m.Contains("eyJ", StringComparison.Ordinal) || m.Contains("senco-42", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_with_a_critical_header_or_two_roles_or_two_areas_is_refused()
    {
        var key = Identity.DevelopmentKey(App.Services.GetRequiredService<IConfiguration>());
        string Token(Dictionary<string, object> claims, Dictionary<string, object>? header = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Identity.Issuer,
            Audience = Identity.DefaultAudience,
            Claims = claims,
            Expires = DateTime.UtcNow.AddHours(1),
            AdditionalHeaderClaims = header,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        async Task<HttpStatusCode> Call(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/triage-queue");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return (await App.Client.SendAsync(request)).StatusCode;
        }

        var good = new Dictionary<string, object> { ["sub"] = "u1", ["role"] = "coordinator", ["tenant"] = ServiceApp.Tenant };
        Assert.Equal(HttpStatusCode.OK, await Call(Token(good)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Token(good, new Dictionary<string, object> { ["crit"] = new[] { "exp" } })));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Token(new Dictionary<string, object>(good) { ["role"] = new[] { "coordinator", "administrator" } })));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Token(new Dictionary<string, object>(good) { ["tenant"] = new[] { ServiceApp.Tenant, "another-area" } })));
    }
}
