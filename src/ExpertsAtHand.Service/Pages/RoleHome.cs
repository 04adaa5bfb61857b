using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Pages;

/// <summary>Where each role's work starts: the page after signing in, and the start page's button.</summary>
public static class RoleHome
{
    public static (string Href, string Words) For(Caller caller) => caller.Role switch
    {
        Roles.Senco => ("/requests", "your requests"),
        Roles.Practitioner => ("/requests", "your cases"),
        Roles.Coordinator => ("/requests/triage", "the triage queue"),
        Roles.Commissioner => ("/dashboard", "the area's figures"),
        _ => ("/admin", "running the service"),
    };
}
