using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages;

/// <summary>Ends the page session (a POST with the antiforgery token, so no other site can sign anyone out).</summary>
public sealed class SignOutModel : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(PageSession.Scheme).ConfigureAwait(false);
        return LocalRedirect("/");
    }
}
