using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages;

/// <summary>Ends the page session (a POST with the antiforgery token, so no other site can sign anyone out).</summary>
public sealed class SignOutModel(IConfiguration configuration, Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions> oidc) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await HttpContext.SignOutAsync(PageSession.Scheme).ConfigureAwait(false);
        if (configuration["Auth:Authority"] is { Length: > 0 } && oidc.Get(PageSession.SignInScheme).ConfigurationManager is { } metadata
            && !string.IsNullOrEmpty((await metadata.GetConfigurationAsync(cancellationToken).ConfigureAwait(false)).EndSessionEndpoint))
        {
            // Ends the authority's session too (when it publishes an end-session endpoint), then back to the start page.
            return SignOut(new AuthenticationProperties { RedirectUri = "/" }, PageSession.SignInScheme);
        }

        return LocalRedirect("/");
    }
}
