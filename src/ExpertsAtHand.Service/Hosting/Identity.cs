using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ExpertsAtHand.Service.Hosting;

public static class Roles
{
    public const string Senco = "senco";
    public const string Coordinator = "coordinator";
    public const string Practitioner = "practitioner";
    public const string Commissioner = "commissioner";
    public const string Administrator = "administrator";

    public static readonly IReadOnlyList<string> All = [Senco, Coordinator, Practitioner, Commissioner, Administrator];
}

/// <summary>
/// Who is calling, from their token: a role, the local area (tenant) they belong to, the settings a
/// SENCO speaks for, and the practitioner record a practitioner is.
/// </summary>
public sealed record Caller(string Subject, string Role, string Tenant, IReadOnlyList<string> SettingUrns, string? PractitionerId)
{
    public const string RoleClaim = "role";
    public const string TenantClaim = "tenant";
    public const string SettingClaim = "urn";
    public const string PractitionerClaim = "practitioner";

    /// <summary>How the caller appears in the audit trail: a role and a subject id, never a name.</summary>
    public string Actor => $"{Role}:{Subject}";

    public bool Is(params string[] roles) => roles.Contains(Role, StringComparer.Ordinal);

    public static Caller? From(ClaimsPrincipal user)
    {
        var subject = user.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        var role = user.FindFirst(RoleClaim)?.Value;
        var tenant = user.FindFirst(TenantClaim)?.Value;
        if (string.IsNullOrWhiteSpace(subject) || string.IsNullOrWhiteSpace(tenant) || role is null || !Roles.All.Contains(role))
        {
            return null;
        }

        return new Caller(subject, role, tenant, [.. user.FindAll(SettingClaim).Select(c => c.Value)], user.FindFirst(PractitionerClaim)?.Value);
    }
}

/// <summary>
/// Production validates tokens from the local area's OpenID Connect authority (Auth:Authority).
/// Without one, the service signs and validates its own development tokens with a key kept beside
/// the embedded database (or Auth:SigningKey), and the `token` command mints them.
/// </summary>
public static class Identity
{
    public const string Issuer = "experts-at-hand-development";
    public const string DefaultAudience = "experts-at-hand";

    public static void Add(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var audience = configuration["Auth:Audience"] ?? DefaultAudience;
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters.RoleClaimType = Caller.RoleClaim;
            options.TokenValidationParameters.NameClaimType = JwtRegisteredClaimNames.Sub;
            options.TokenValidationParameters.ValidAudience = audience;
            options.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(1);
            // A token that lives longer than the area allows is refused, however it was signed.
            var longest = MaxTokenLifetime(configuration);
            options.IncludeErrorDetails = false; // WWW-Authenticate says "invalid_token", never why
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    if (context.SecurityToken.ValidTo - context.SecurityToken.ValidFrom > longest)
                    {
                        context.Fail($"Tokens may live at most {longest.TotalHours:0} hours.");
                    }
                    else if (context.SecurityToken is JsonWebToken { } jwt && jwt.TryGetHeaderValue<object>("crit", out _))
                    {
                        context.Fail("Tokens with critical header parameters are not understood here.");
                    }
                    else if (SingleValued.FirstOrDefault(type => context.Principal!.FindAll(type).Skip(1).Any()) is { } repeated)
                    {
                        context.Fail($"The {repeated} claim must have one value.");
                    }

                    return Task.CompletedTask;
                },
                OnAuthenticationFailed = context =>
                {
                    SecurityEvents.AuthenticationFailed(context.HttpContext, context.Exception);
                    return Task.CompletedTask;
                },
            };
            if (configuration["Auth:Authority"] is { Length: > 0 } authority)
            {
                options.Authority = authority;
                // Metadata and keys over HTTPS, except from this machine itself (a local authority cannot be intercepted).
                options.RequireHttpsMetadata = !(Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback);
                // How soon keys are fetched again when a token names a key not yet seen (the authority rotated).
                options.RefreshInterval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Auth:KeyRefreshSeconds", 300)));
            }
            else
            {
                options.TokenValidationParameters.ValidIssuer = Issuer;
                options.TokenValidationParameters.IssuerSigningKey = DevelopmentKey(configuration);
            }
        });
        // The configuration manager exists only after JwtBearer's own post-configuration: tell it then
        // not to fall back to keys the authority has stopped publishing.
        builder.Services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
        {
            if (options.ConfigurationManager is Microsoft.IdentityModel.Tokens.BaseConfigurationManager keys)
            {
                keys.UseLastKnownGoodConfiguration = false;
            }
        });
        // The pages: a cookie session (the API never reads it, and the pages never read a bearer token).
        builder.Services.AddAuthentication().AddCookie(PageSession.Scheme, options =>
        {
            options.Cookie.Name = "eah-session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromHours(builder.Configuration.GetValue("Auth:SessionHours", 8));
            options.SlidingExpiration = true;
            options.LoginPath = "/sign-in";
            options.LogoutPath = "/sign-out";
            options.AccessDeniedPath = "/not-allowed";
        });
        if (configuration["Auth:Authority"] is { Length: > 0 } pagesAuthority)
        {
            AddOpenIdConnect(builder.Services, configuration, pagesAuthority);
        }

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("member", policy => policy.RequireAuthenticatedUser().RequireAssertion(context => Caller.From(context.User) is not null))
            .AddPolicy(PageSession.Policy, policy => policy.AddAuthenticationSchemes(PageSession.Scheme).RequireAuthenticatedUser().RequireAssertion(context => Caller.From(context.User) is not null));
    }

    /// <summary>
    /// People signing in to the pages with the local area's authority: the authorization code flow
    /// with PKCE, the answer in the query (so a same-site Lax cookie carries the correlation back), and
    /// the session keeping only the claims the service reads — never the authority's tokens.
    /// </summary>
    private static void AddOpenIdConnect(IServiceCollection services, ConfigurationManager configuration, string authority)
    {
        services.AddAuthentication().AddOpenIdConnect(PageSession.SignInScheme, options =>
        {
            options.Authority = authority;
            options.RequireHttpsMetadata = !(Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback);
            options.ClientId = configuration["Auth:ClientId"] ?? DefaultAudience;
            options.ClientSecret = configuration["Auth:ClientSecret"];
            options.ResponseType = Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectResponseType.Code;
            options.ResponseMode = Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectResponseMode.Query;
            options.UsePkce = true;
            options.SaveTokens = false;
            options.MapInboundClaims = false;
            options.GetClaimsFromUserInfoEndpoint = configuration.GetValue("Auth:UserInfo", false);
            options.SignInScheme = PageSession.Scheme;
            options.CallbackPath = "/signin-oidc";
            options.SignedOutCallbackPath = "/signout-callback-oidc";
            options.Scope.Clear();
            foreach (var scope in (configuration["Auth:Scopes"] ?? "openid profile").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                options.Scope.Add(scope);
            }

            options.TokenValidationParameters.NameClaimType = JwtRegisteredClaimNames.Sub;
            options.TokenValidationParameters.RoleClaimType = Caller.RoleClaim;
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = context =>
                {
                    // Someone the authority knows but this service does not (no role, area or setting): no session.
                    if (Caller.From(context.Principal!) is not { } caller || SingleValued.Any(type => context.Principal!.FindAll(type).Skip(1).Any()))
                    {
                        SecurityEvents.AuthenticationFailed(context.HttpContext, new InvalidOperationException("The authority's sign-in names no role and local area this service knows."));
                        context.HandleResponse();
                        context.Response.Redirect("/not-allowed");
                        return Task.CompletedTask;
                    }

                    context.Principal = PageSession.For(caller);
                    return Task.CompletedTask;
                },
                OnRemoteFailure = context =>
                {
                    SecurityEvents.AuthenticationFailed(context.HttpContext, context.Failure ?? new InvalidOperationException("Sign-in failed."));
                    context.HandleResponse();
                    context.Response.Redirect("/not-allowed");
                    return Task.CompletedTask;
                },
            };
        });
    }

    /// <summary>Claims single by meaning: one subject, one role, one area, one practitioner record (a SENCO may speak for several settings).</summary>
    private static readonly string[] SingleValued = [JwtRegisteredClaimNames.Sub, Caller.RoleClaim, Caller.TenantClaim, Caller.PractitionerClaim];

    /// <summary>The longest a token may live (Auth:MaxTokenLifetimeHours, default 12): development tokens are minted no longer, and longer ones are refused.</summary>
    public static TimeSpan MaxTokenLifetime(IConfiguration configuration) => TimeSpan.FromHours(configuration.GetValue("Auth:MaxTokenLifetimeHours", 12));

    public static SymmetricSecurityKey DevelopmentKey(IConfiguration configuration)
    {
        if (configuration["Auth:SigningKey"] is { Length: > 0 } configured)
        {
            return new SymmetricSecurityKey(Convert.FromBase64String(configured));
        }

        var file = configuration["Auth:SigningKeyFile"] is { Length: > 0 } path
            ? path
            : Path.Combine(Path.GetDirectoryName(configuration["Postgres:DataDirectory"] is { Length: > 0 } data ? Path.GetFullPath(data) : Infrastructure.Postgres.EmbeddedPostgresOptions.DefaultDataDirectory())!, "development-signing-key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(file).Trim()));
    }

    public static string MintDevelopmentToken(IConfiguration configuration, Caller caller, TimeSpan lifetime, TimeProvider clock)
    {
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = caller.Subject,
            [Caller.RoleClaim] = caller.Role,
            [Caller.TenantClaim] = caller.Tenant,
        };
        if (caller.SettingUrns.Count > 0)
        {
            claims[Caller.SettingClaim] = caller.SettingUrns.ToArray();
        }

        if (caller.PractitionerId is not null)
        {
            claims[Caller.PractitionerClaim] = caller.PractitionerId;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = configuration["Auth:Audience"] ?? DefaultAudience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(DevelopmentKey(configuration), SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary>The pages' signed-in session: a cookie carrying the same claims a token does.</summary>
public static class PageSession
{
    public const string Scheme = "pages";

    /// <summary>Signing in to the pages through the local area's OpenID Connect authority (when Auth:Authority is set).</summary>
    public const string SignInScheme = "oidc";
    public const string Policy = "page-member";

    public static System.Security.Claims.ClaimsPrincipal For(Caller caller)
    {
        var claims = new List<System.Security.Claims.Claim>
        {
            new(JwtRegisteredClaimNames.Sub, caller.Subject),
            new(Caller.RoleClaim, caller.Role),
            new(Caller.TenantClaim, caller.Tenant),
        };
        claims.AddRange(caller.SettingUrns.Select(urn => new System.Security.Claims.Claim(Caller.SettingClaim, urn)));
        if (caller.PractitionerId is { } practitioner)
        {
            claims.Add(new(Caller.PractitionerClaim, practitioner));
        }

        return new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(claims, Scheme, JwtRegisteredClaimNames.Sub, Caller.RoleClaim));
    }
}
