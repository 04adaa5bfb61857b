using ExpertsAtHand.Benchmarks;

// dotnet run -c Release --project tests/ExpertsAtHand.Benchmarks -- <suite> [--quick]
var suites = new Dictionary<string, Func<bool, Task<string>>>(StringComparer.OrdinalIgnoreCase)
{
    ["eventstore"] = EventStoreSuite.RunAsync,
    ["messaging"] = MessagingSuite.RunAsync,
    ["reports"] = ReportsSuite.RunAsync,
    ["pages"] = PagesSuite.RunAsync,
};

var suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"usage: ExpertsAtHand.Benchmarks <{string.Join('|', suites.Keys)}> [--quick]");
    return 2;
}

var quick = args.Contains("--quick", StringComparer.OrdinalIgnoreCase);
var summary = await run(quick);
Console.WriteLine(summary);
return 0;
