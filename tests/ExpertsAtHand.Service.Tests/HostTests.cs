using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;
using ExpertsAtHand.Service.Features.Health;
using ExpertsAtHand.Service.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace ExpertsAtHand.Service.Tests;

public sealed class HostTests
{
    [Fact]
    public async Task Ready_is_200_once_the_database_answers_and_migrations_are_applied()
    {
        await using var service = await ServiceApp.StartAsync();

        var ready = await service.Host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBeOk();
        });
        await service.Host.Scenario(s =>
        {
            s.Get.Url("/health/live");
            s.StatusCodeShouldBeOk();
        });

        var report = (await ready.ReadAsJsonAsync<HealthReport>())!;
        Assert.Equal("ready", report.Status);
        Assert.Empty(report.PendingMigrations);
    }

    [Fact]
    public async Task A_database_from_the_version_before_marten_is_refused_saying_what_to_do()
    {
        await using var database = await Testing.TestPostgres.CreateDatabaseAsync();
        await database.ExecuteAsync("CREATE TABLE eah_events (seq bigint)"); // what our own event store left

        var refused = await Assert.ThrowsAsync<EarlierVersionDatabaseException>(() => EarlierVersion.RefuseAsync(database.DataSource, CancellationToken.None));

        Assert.Contains("delete the data folder", refused.Message, StringComparison.Ordinal);
        Assert.Contains("new, empty database", refused.Message, StringComparison.Ordinal);
        await using var fresh = await Testing.TestPostgres.CreateDatabaseAsync();
        await EarlierVersion.RefuseAsync(fresh.DataSource, CancellationToken.None); // a new one is welcome
    }

    [Fact]
    public async Task Ready_is_503_problem_details_while_a_migration_is_missing()
    {
        await using var service = await ServiceApp.StartAsync();
        await service.Database.ExecuteAsync("DELETE FROM schema_migrations WHERE id = 'service/0001_read_models'");

        await service.Host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            s.StatusCodeShouldBe(HttpStatusCode.ServiceUnavailable);
            s.ContentTypeShouldBe("application/problem+json");
            s.ContentShouldContain("1 schema migration(s) not yet applied");
        });
    }

    [Fact]
    public async Task An_unknown_address_is_a_404_problem_details()
    {
        await using var service = await ServiceApp.StartAsync();

        var response = await service.Host.Scenario(s =>
        {
            s.Get.Url("/no/such/place");
            s.StatusCodeShouldBe(HttpStatusCode.NotFound);
            s.ContentTypeShouldBe("application/problem+json");
        });

        Assert.Equal(404, (await response.ReadAsJsonAsync<ProblemDetails>())!.Status);
    }

    /// <summary>
    /// The checked-in contract is what clients build against; it must be what we serve.
    /// Set EAH_UPDATE_CONTRACTS=1 to rewrite it after an intended change, and review the diff.
    /// </summary>
    [Fact]
    public async Task Every_operation_documents_a_success_with_its_schema_and_the_client_errors_it_can_give()
    {
        await using var service = await ServiceApp.StartAsync();
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/openapi/v1.json"))!;

        var problems = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject();
                var successes = responses.Where(r => r.Key.StartsWith('2')).ToList();
                if (successes.Count == 0)
                {
                    problems.Add($"{method} {path}: no 2xx");
                }

                problems.AddRange(successes.Where(r => r.Key != "204" && r.Value!["content"]?.AsObject().Any(c => c.Value!["schema"] is not null) != true)
                    .Select(r => $"{method} {path}: {r.Key} without a schema"));
                if (!responses.Any(r => r.Key.StartsWith('4')))
                {
                    problems.Add($"{method} {path}: no 4xx");
                }

                if (operation["tags"] is null)
                {
                    problems.Add($"{method} {path}: no tag");
                }
            }
        }

        Assert.Empty(problems);
        Assert.All(document["tags"]!.AsArray(), tag => Assert.False(string.IsNullOrWhiteSpace(tag!["description"]?.GetValue<string>())));
        Assert.Equal("/", document["servers"]![0]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_served_OpenAPI_document_matches_contracts_openapi_json()
    {
        await using var service = await ServiceApp.StartAsync();
        var served = JsonNode.Parse(await service.Client.GetStringAsync("/openapi/v1.json"))!;
        var path = Path.Combine(RepositoryRoot.Find(), "contracts", "openapi.json");
        var pretty = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

        if (Environment.GetEnvironmentVariable("EAH_UPDATE_CONTRACTS") == "1")
        {
            await File.WriteAllTextAsync(path, pretty);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests once with EAH_UPDATE_CONTRACTS=1.");
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(
            JsonNode.DeepEquals(served, checkedIn),
            "contracts/openapi.json differs from the served document; if the change is intended, run the tests with EAH_UPDATE_CONTRACTS=1 and commit the file.");
    }
}
