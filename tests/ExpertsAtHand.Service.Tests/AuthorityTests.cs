using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace ExpertsAtHand.Service.Tests;

/// <summary>
/// Production mode: tokens come from the local area's OpenID Connect authority. A small authority on
/// loopback serves its discovery document and keys, and rotates them, as a real one does.
/// </summary>
public sealed class AuthorityTests : IAsyncLifetime
{
    private readonly RSA _first = RSA.Create(2048);
    private readonly RSA _second = RSA.Create(2048);
    private WebApplication _authority = null!;
    private volatile (string Kid, RSA Key)[] _published = [];
    private string _issuer = string.Empty;

    public async Task InitializeAsync()
    {
        _published = [("key-1", _first)];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _authority = builder.Build();
        _authority.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = _issuer,
            ["jwks_uri"] = _issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _authority.MapGet("/jwks", () => Results.Json(new { keys = _published.Select(k => Jwk(k.Kid, k.Key)) }));
        await _authority.StartAsync();
        _issuer = _authority.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await _authority.DisposeAsync();
        _first.Dispose();
        _second.Dispose();
    }

    [Fact]
    public async Task Tokens_from_the_authority_are_accepted_forged_ones_refused_and_a_rotated_key_is_picked_up()
    {
        using var logs = new CapturedLogs();
        await using var app = await ServiceApp.StartAsync(configure: b => b.Logging.AddProvider(logs), arguments: [$"--Auth:Authority={_issuer}", "--Auth:KeyRefreshSeconds=1", "--Logging:LogLevel:Default=Information"]);

        var first = await CallAsync(app, Token("key-1", _first));
        Assert.True(first == HttpStatusCode.OK, string.Join("\n", logs.Entries.Select(e => e.Message).TakeLast(10)));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, Token("key-2", _second))); // not published yet
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, Token("key-1", _first, issuer: "https://elsewhere.example")));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, Token("key-1", _first, audience: "another-service")));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, SignedWithThePublicKeyAsASecret()));

        // The authority rotates to key 2 alone. A token naming a key the service has not seen makes it
        // fetch the keys again (at most once a second here, every five minutes by default): within
        // seconds key 2 works, and key 1, no longer published, does not.
        _published = [("key-2", _second)];
        var rotated = DateTime.UtcNow;
        var answer = HttpStatusCode.Unauthorized;
        while (answer != HttpStatusCode.OK && DateTime.UtcNow - rotated < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            answer = await CallAsync(app, Token("key-2", _second));
        }

        Assert.Equal(HttpStatusCode.OK, answer);
        Assert.True(DateTime.UtcNow - rotated < TimeSpan.FromSeconds(5), $"picked up after {(DateTime.UtcNow - rotated).TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, Token("key-1", _first)));
    }

    private static async Task<HttpStatusCode> CallAsync(ServiceApp app, string token)
    {
        using var client = app.Host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync("/api/triage-queue")).StatusCode;
    }

    private string Token(string kid, RSA key, string? issuer = null, string audience = "experts-at-hand") => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer ?? _issuer,
        Audience = audience,
        Claims = new Dictionary<string, object> { ["sub"] = "coordinator-1", ["role"] = "coordinator", ["tenant"] = ServiceApp.Tenant },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
    });

    /// <summary>The RS/HS confusion: an HMAC token keyed with the authority's public key.</summary>
    private string SignedWithThePublicKeyAsASecret() => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = _issuer,
        Audience = "experts-at-hand",
        Claims = new Dictionary<string, object> { ["sub"] = "attacker", ["role"] = "coordinator", ["tenant"] = ServiceApp.Tenant },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_first.ExportSubjectPublicKeyInfo()) { KeyId = "key-1" }, SecurityAlgorithms.HmacSha256),
    });

    private static Dictionary<string, string> Jwk(string kid, RSA key)
    {
        var parameters = key.ExportParameters(false);
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = kid,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
    }
}
