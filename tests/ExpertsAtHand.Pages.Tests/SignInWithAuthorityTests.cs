using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace ExpertsAtHand.Pages.Tests;

/// <summary>
/// The service as a local area runs it: people sign in to the pages at the area's OpenID Connect
/// authority. A small authority on loopback signs in whoever the test says, by the authorization
/// code flow with PKCE, as a real one does.
/// </summary>
public sealed class AuthorityPagesService : PagesService
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge)> _codes = new(StringComparer.Ordinal);
    private WebApplication? _authority;

    public string Issuer { get; private set; } = string.Empty;

    /// <summary>Who the authority signs in next: the claims its ID token carries besides iss, aud, nonce and times.</summary>
    public Dictionary<string, object> NextPerson { get; set; } = [];

    /// <summary>How many times the authority was asked to end someone's session.</summary>
    public int SessionsEnded { get; private set; }

    protected override async Task<IReadOnlyDictionary<string, string?>> SettingsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _authority = builder.Build();
        _authority.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["end_session_endpoint"] = Issuer + "/end-session",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _authority.MapGet("/jwks", () =>
        {
            var p = _key.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", kid = "key-1", alg = "RS256", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        });
        // Signs in at once (the person is the test's choice) and sends the browser back with a code.
        _authority.MapGet("/authorize", (HttpContext http) =>
        {
            var q = http.Request.Query;
            if (q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]))
            {
                return Results.BadRequest("the code flow with PKCE is expected");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["nonce"].ToString(), q["code_challenge"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _authority.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (!_codes.TryRemove(form["code"].ToString(), out var issued)
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != issued.Challenge)
            {
                return Results.BadRequest(new { error = "invalid_grant" });
            }

            var claims = new Dictionary<string, object>(NextPerson) { ["nonce"] = issued.Nonce };
            var now = DateTime.UtcNow;
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = "pages",
                Claims = claims,
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddMinutes(5),
                SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "key-1" }, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { access_token = "not-used", token_type = "Bearer", expires_in = 300, id_token = idToken });
        });
        _authority.MapGet("/end-session", (HttpContext http) =>
        {
            SessionsEnded++;
            var back = http.Request.Query["post_logout_redirect_uri"].ToString();
            return back.Length > 0 ? Results.Redirect($"{back}?state={Uri.EscapeDataString(http.Request.Query["state"].ToString())}") : Results.Ok("signed out");
        });
        await _authority.StartAsync();
        Issuer = _authority.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return new Dictionary<string, string?> { ["Auth:Authority"] = Issuer, ["Auth:ClientId"] = "pages", ["Auth:ClientSecret"] = "a client secret" };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_authority is not null)
        {
            await _authority.DisposeAsync();
        }

        _key.Dispose();
    }
}

public sealed class SignInWithAuthorityTests(AuthorityPagesService service) : IClassFixture<AuthorityPagesService>
{
    [Fact]
    public async Task A_senco_signs_in_at_the_areas_authority_lands_on_the_page_they_asked_for_and_signs_out_there_too()
    {
        var urn = await FirstPrimaryAsync();
        service.NextPerson = new() { ["sub"] = "senco-7", ["role"] = "senco", ["tenant"] = "demo", ["urn"] = urn, ["name"] = "A. SENCO" };
        var page = await service.PageAsync();

        await page.GotoAsync("/sign-in");
        Assert.Equal(0, await page.Locator("input[name=person]").CountAsync()); // the development sign-in is not offered
        await page.GotoAsync("/clinics");
        Assert.EndsWith("/clinics", page.Url, StringComparison.Ordinal);
        Assert.Equal("Clinics and training", await page.InnerTextAsync("h1"));
        Assert.Contains("Signed in as a senco in demo", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "eah-session");
        Assert.True(session.HttpOnly);

        await page.ClickAsync("button:has-text('Sign out')");
        await page.WaitForSelectorAsync("text=Start now");
        Assert.Equal(1, service.SessionsEnded); // the authority's session ended too
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "eah-session");
    }

    [Fact]
    public async Task Someone_the_authority_knows_but_the_service_does_not_gets_no_session()
    {
        service.NextPerson = new() { ["sub"] = "visitor-1", ["name"] = "A visitor" };
        var page = await service.PageAsync();
        await page.GotoAsync("/requests");
        Assert.Equal("You cannot see this page", await page.InnerTextAsync("h1"));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "eah-session");
        var violations = await PagesService.CheckAsync(page, "sign-in-refused");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    private async Task<string> FirstPrimaryAsync()
    {
        await using var command = service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT urn FROM rm_settings WHERE tenant_id = 'demo' AND open AND in_area AND phase = 'Primary' ORDER BY urn LIMIT 1");
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
