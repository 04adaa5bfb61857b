using ExpertsAtHand.Service.Features.Demo;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace ExpertsAtHand.Service.Pages;

/// <summary>One of the demonstration area's people, as the development sign-in offers them.</summary>
public sealed record DemoPerson(string Key, string Name, string Hint, Caller Caller);

/// <summary>
/// The development sign-in: the demonstration area's people by role, on the embedded default only.
/// With an OpenID Connect authority configured (Auth:Authority) a GET goes to the authority instead
/// and the development sign-in's POST does not exist (404).
/// </summary>
public sealed class SignInModel(NpgsqlDataSource dataSource, IConfiguration configuration) : PageModel
{
    public IReadOnlyList<DemoPerson> People { get; private set; } = [];

    /// <summary>The page asked for before signing in; none: the role's own start.</summary>
    public string? ReturnUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? returnUrl, CancellationToken cancellationToken)
    {
        if (configuration["Auth:Authority"] is { Length: > 0 })
        {
            // The real sign-in: off to the local area's authority, and back to the page asked for.
            return Challenge(new AuthenticationProperties { RedirectUri = Local(returnUrl) ?? "/" }, PageSession.SignInScheme);
        }

        ReturnUrl = Local(returnUrl);
        People = await PeopleAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? person, string? returnUrl, CancellationToken cancellationToken)
    {
        if (configuration["Auth:Authority"] is { Length: > 0 })
        {
            return NotFound();
        }

        var chosen = (await PeopleAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Key == person);
        if (chosen is null)
        {
            return RedirectToPage();
        }

        await HttpContext.SignInAsync(PageSession.Scheme, PageSession.For(chosen.Caller)).ConfigureAwait(false);
        return LocalRedirect(Local(returnUrl) ?? RoleHome.For(chosen.Caller).Href);
    }

    /// <summary>The page to return to, if it is one of this service's own (never another site); null when none was asked for.</summary>
    private static string? Local(string? returnUrl) => returnUrl is { Length: > 1 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : null;

    private async Task<IReadOnlyList<DemoPerson>> PeopleAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT urn || '|' || name FROM rm_settings WHERE tenant_id = $1 AND open AND in_area AND phase = 'Primary' ORDER BY urn LIMIT 1), "
            + "(SELECT practitioner_id FROM rm_practitioners WHERE tenant_id = $1 AND active ORDER BY practitioner_id LIMIT 1)");
        command.Parameters.Add(new NpgsqlParameter { Value = DemoArea.Tenant });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reader.IsDBNull(0) || reader.IsDBNull(1))
        {
            return [];
        }

        var setting = reader.GetString(0).Split('|', 2);
        var practitioner = reader.GetString(1);
        return
        [
            new("senco", $"SENCO at {setting[1]}", "Raises requests for the school and answers questions about them.", new Caller("demo-senco", Roles.Senco, DemoArea.Tenant, [setting[0]], null)),
            new("coordinator", "Triage coordinator", "Triages every request in the area and allocates practitioners.", new Caller("demo-coordinator", Roles.Coordinator, DemoArea.Tenant, [], null)),
            new("practitioner", $"Practitioner ({practitioner})", "Sees the requests they are allocated to, records contacts and closes them.", new Caller("demo-practitioner", Roles.Practitioner, DemoArea.Tenant, [], practitioner)),
            new("commissioner", "Commissioner", "Reads the area's figures; sees no child's record.", new Caller("demo-commissioner", Roles.Commissioner, DemoArea.Tenant, [], null)),
            new("administrator", "Administrator", "Looks after settings, practitioners and the service's operation.", new Caller("demo-administrator", Roles.Administrator, DemoArea.Tenant, [], null)),
        ];
    }
}
