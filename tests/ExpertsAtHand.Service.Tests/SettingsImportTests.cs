using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Features.Settings;

namespace ExpertsAtHand.Service.Tests;

public sealed class SettingsImportTests
{
    private static readonly ImportOptions Camden = new(
        new HashSet<string> { "202" },
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Camden"] = "Camden Central" });

    private static FileStream TestFile(string name) => File.OpenRead(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    [Fact]
    public void A_real_gias_extract_becomes_settings_with_phase_locality_area_and_need()
    {
        var (settings, errors) = SettingsImport.Parse(TestFile("gias-subset-camden-2024.csv"), Camden);

        Assert.Empty(errors);
        Assert.Equal(41, settings.Count);
        var nursery = settings.Single(s => s.Urn == "100005").Details;
        Assert.Equal(new SettingDetails("Thomas Coram Centre", Phase.EarlyYears, "Camden Central", true, 136, 44.3m, nursery.PercentSenSupport, nursery.PercentEhcp, "WC1N 2NY", true, SenFiguresEstimated: true), nursery);
        var aldgate = settings.Single(s => s.Urn == "100000").Details;
        Assert.Equal((Phase.Primary, "City of London", false), (aldgate.Phase, aldgate.Locality, aldgate.InArea)); // LA 201: out of area
        var girls = settings.Single(s => s.Urn == "100001").Details; // independent, phase "Not applicable", ages 7 to 18
        Assert.Equal(Phase.AllThrough, girls.Phase);
        Assert.Equal(Math.Round(100m * 22 / 739, 1), girls.PercentSenSupport);
        Assert.Contains(settings, s => s.Details.Phase == Phase.AlternativeProvision);
        Assert.Equal(8, settings.Count(s => !s.Details.Open));
    }

    [Fact]
    public void Blank_sen_counts_are_unknown_not_none_so_the_phase_average_of_the_file_stands_in_and_is_marked_estimated()
    {
        var (settings, errors) = SettingsImport.Parse(TestFile("gias-subset-camden-2024.csv"), Camden);

        Assert.Empty(errors);
        var known = settings.Where(s => !s.Details.SenFiguresEstimated).ToList();
        var estimated = settings.Where(s => s.Details.SenFiguresEstimated).ToList();
        Assert.NotEmpty(known);
        Assert.True(estimated.Count(s => s.Details.Open) >= 20, $"{estimated.Count(s => s.Details.Open)} open settings estimated");
        foreach (var setting in estimated)
        {
            var peers = known.Where(k => k.Details.Phase == setting.Details.Phase && k.Details.NumberOnRoll > 0).ToList();
            if (peers.Count == 0)
            {
                peers = [.. known.Where(k => k.Details.NumberOnRoll > 0)];
            }

            var pupils = peers.Sum(p => (decimal)p.Details.NumberOnRoll);
            Assert.Equal(Math.Round(peers.Sum(p => p.Details.PercentSenSupport * p.Details.NumberOnRoll) / pupils, 1), setting.Details.PercentSenSupport);
            Assert.Equal(Math.Round(peers.Sum(p => p.Details.PercentEhcp * p.Details.NumberOnRoll) / pupils, 1), setting.Details.PercentEhcp);
            Assert.True(setting.Details.PercentSenSupport > 0, $"{setting.Urn} kept 0 % SEN support");
        }
    }

    [Fact]
    public void The_untouched_original_export_with_quoted_headers_is_read()
    {
        var (settings, errors) = SettingsImport.Parse(TestFile("gias-original-format-4-rows.csv"), Camden);

        Assert.Empty(errors);
        Assert.Equal([Phase.Primary, Phase.Secondary, Phase.Primary, Phase.AllThrough], settings.Select(s => s.Details.Phase));
    }

    [Fact]
    public void Every_bad_row_is_reported_with_its_line_and_the_field_at_fault()
    {
        var csv = SettingsImport.SimpleHeader + "\n"
                  + "10012345,Northside College,FurtherEducation,North,no,2400,21.5,15,3.2,N1 1AA,yes\n"
                  + "12AB,Bad Urn School,Primary,North,yes,200,10,10,1,,yes\n"
                  + "10012346,Southside Nursery,Kindergarten,South,yes,40,10,10,1,,yes\n"
                  + "10012345,Northside Again,FurtherEducation,North,no,2400,150,15,3.2,,maybe\n";

        var (_, errors) = SettingsImport.Parse(new MemoryStream(Encoding.UTF8.GetBytes(csv)), Camden);

        Assert.Contains(new ImportRowError(3, "Urn", "'12AB' is not a URN, UKPRN or Ofsted URN (5 to 8 digits)."), errors);
        Assert.Contains(errors, e => e is { Line: 4, Field: "Phase" });
        Assert.Contains(errors, e => e is { Line: 5, Field: "PercentFsm" });
        Assert.Contains(errors, e => e is { Line: 5, Field: "Open" });
        Assert.DoesNotContain(errors, e => e.Line == 2);
    }

    [Fact]
    public async Task Importing_over_http_is_all_or_nothing_and_importing_again_changes_nothing()
    {
        await using var app = await ServiceApp.StartAsync();
        using var administrator = app.As("administrator");
        var camden = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "gias-subset-camden-2024.csv"));

        var broken = Encoding.Latin1.GetString(camden).Replace("\n100002,", "\n1000x2,", StringComparison.Ordinal);
        var refused = await administrator.PostAsync("/api/settings/import?la=202", new ByteArrayContent(Encoding.Latin1.GetBytes(broken)) { Headers = { ContentType = new("text/csv") } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("line 4"));
        Assert.Equal(0L, await app.EventCountAsync());

        var first = await administrator.PostAsync("/api/settings/import?la=202", new ByteArrayContent(camden) { Headers = { ContentType = new("text/csv") } });
        var registered = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((41, 41, 0, 0), ImportCounts(registered));
        Assert.Equal(41, registered["lines"]!.AsArray().Count(l => l!["outcome"]!.GetValue<string>() == "Registered"));
        var events = await app.EventCountAsync();

        var again = await administrator.PostAsync("/api/settings/import?la=202", new ByteArrayContent(camden) { Headers = { ContentType = new("text/csv") } });
        Assert.Equal((41, 0, 0, 41), ImportCounts((await again.Content.ReadFromJsonAsync<JsonObject>())!));
        Assert.Equal(events, await app.EventCountAsync());

        var grown = Encoding.Latin1.GetString(camden).Replace(",Thomas Coram Centre,", ",Thomas Coram Centre and Nursery,", StringComparison.Ordinal);
        var changed = await administrator.PostAsync("/api/settings/import?la=202", new ByteArrayContent(Encoding.Latin1.GetBytes(grown)) { Headers = { ContentType = new("text/csv") } });
        var afterChange = (await changed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((41, 0, 1, 40), ImportCounts(afterChange));
        // The report names the line that changed, as the file numbers it.
        var changedLine = afterChange["lines"]!.AsArray().Single(l => l!["outcome"]!.GetValue<string>() == "Changed")!;
        Assert.Equal("100005", changedLine["id"]!.GetValue<string>());
        Assert.Contains("Thomas Coram Centre and Nursery", grown.Split('\n')[changedLine["line"]!.GetValue<int>() - 1], StringComparison.Ordinal);
        Assert.Equal("[\"Name\"]", await app.Database.ScalarAsync<string>("SELECT (data->'changed')::text FROM mt_events WHERE type = 'setting-details-changed'"));
        Assert.Equal("Thomas Coram Centre and Nursery", (await administrator.GetFromJsonAsync<JsonObject>("/api/settings/100005"))!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.As("coordinator").PostAsync("/api/settings/import", new ByteArrayContent(camden))).StatusCode);
    }

    internal static (int Rows, int Registered, int Changed, int Unchanged) ImportCounts(JsonObject report) =>
        (report["rows"]!.GetValue<int>(), report["registered"]!.GetValue<int>(), report["changed"]!.GetValue<int>(), report["unchanged"]!.GetValue<int>());
}
