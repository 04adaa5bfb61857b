using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ExpertsAtHand.Service.Tests.ApiBuilders;

namespace ExpertsAtHand.Service.Tests;

public sealed class EntitlementAndOutreachTests
{
    private static object Setting(string name, int roll, decimal fsm, decimal sen, decimal ehcp) => new
    {
        name,
        phase = "Primary",
        locality = "North",
        inArea = true,
        numberOnRoll = roll,
        percentFsm = fsm,
        percentSenSupport = sen,
        percentEhcp = ehcp,
        open = true,
    };

    [Fact]
    public async Task Each_setting_has_its_entitlement_recorded_for_the_academic_year_and_recalculated_when_it_changes()
    {
        await using var app = await ServiceApp.StartAsync(); // October 2026: academic year 2026/27
        using var administrator = app.As("administrator");
        await administrator.PutAsJsonAsync("/api/settings/100000", Setting("Average Primary", 280, 24m, 14m, 2.5m));

        Assert.Equal(260.0m, await app.Database.ScalarAsync<decimal>("SELECT annual_hours FROM rm_entitlements WHERE urn = '100000' AND academic_year = 2026"));

        await administrator.PutAsJsonAsync("/api/settings/100000", Setting("Average Primary", 420, 24m, 14m, 2.5m));
        Assert.Equal(Math.Round((51.2m + 210m) * 1.36m, 1), await app.Database.ScalarAsync<decimal>("SELECT annual_hours FROM rm_entitlements WHERE urn = '100000' AND academic_year = 2026"));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM rm_entitlements"));
    }

    [Fact]
    public async Task The_outreach_list_names_quiet_high_need_settings_using_little_of_their_share()
    {
        await using var app = await ServiceApp.StartAsync();
        using var administrator = app.As("administrator");
        await administrator.PutAsJsonAsync("/api/settings/100010", Setting("Quiet High Need", 300, 55m, 24m, 5m));
        await administrator.PutAsJsonAsync("/api/settings/100011", Setting("Asking High Need", 300, 52m, 22m, 5m));
        await administrator.PutAsJsonAsync("/api/settings/100012", Setting("Low Need A", 300, 5m, 8m, 1m));
        await administrator.PutAsJsonAsync("/api/settings/100013", Setting("Low Need B", 300, 6m, 9m, 1m));
        var raised = await app.As("senco", urn: "100011").PostAsJsonAsync("/api/requests", RaiseBody("100011"));
        Assert.Equal(HttpStatusCode.Created, raised.StatusCode);

        var list = (await app.As("commissioner").GetFromJsonAsync<JsonArray>("/api/outreach?quietWeeks=8"))!;

        var only = Assert.Single(list)!;
        Assert.Equal("100010", only["urn"]!.GetValue<string>());
        Assert.Equal(0m, only["useRatio"]!.GetValue<decimal>());
        Assert.Null(only["lastAskedOn"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.As("coordinator").GetAsync("/api/outreach?quietWeeks=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("senco", urn: "100010").GetAsync("/api/outreach")).StatusCode);
    }
}
