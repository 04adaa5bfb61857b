using System.CommandLine;
using ExpertsAtHand.Service.Hosting;

// Marten's and Wolverine's own verbs go to JasperFx's command line, over the same composition.
if (args.Length > 0 && Commands.CritterStackVerbs.Contains(args[0]))
{
    return await Commands.CritterStackAsync(args, CancellationToken.None);
}

var root = new RootCommand("Experts at Hand: triage and case management for a local area's Experts at Hand offer.");

var serve = new Command("serve", "Run the service (the default). With no ConnectionStrings__Postgres it starts an embedded PostgreSQL.");
serve.SetAction((parse, cancellationToken) => Commands.ServeAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));
serve.TreatUnmatchedTokensAsErrors = false;
root.Subcommands.Add(serve);

var migrate = new Command("migrate", "Apply pending schema migrations and exit.");
migrate.SetAction((parse, cancellationToken) => Commands.MigrateAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));
migrate.TreatUnmatchedTokensAsErrors = false;
root.Subcommands.Add(migrate);

var role = new Option<string>("--role") { Description = $"One of: {string.Join(", ", Roles.All)}.", Required = true };
role.AcceptOnlyFromAmong([.. Roles.All]);
var tenant = new Option<string>("--tenant") { Description = "The local area (tenant) id.", Required = true }.RefuseOptionLikeValue();
var urns = new Option<string[]>("--urn") { Description = "A setting URN the SENCO speaks for (repeatable; several may follow one --urn, up to the next option).", AllowMultipleArgumentsPerToken = false };
var practitioner = new Option<string?>("--practitioner") { Description = "The practitioner id, for the practitioner role." }.RefuseOptionLikeValue();
var subject = new Option<string>("--subject") { Description = "The user's id (no names).", DefaultValueFactory = _ => "dev-user" }.RefuseOptionLikeValue();
var hours = new Option<int>("--hours") { Description = "Lifetime in hours.", DefaultValueFactory = _ => 8 };
var token = new Command("token", "Mint a signed development token for the embedded default (not used when Auth:Authority is set).")
{
    role, tenant, urns, practitioner, subject, hours,
};
token.TreatUnmatchedTokensAsErrors = false;
token.SetAction(parse => Commands.Token(
    parse.UnmatchedTokens.ToArray(),
    new Caller(parse.GetValue(subject)!, parse.GetValue(role)!, parse.GetValue(tenant)!, parse.GetValue(urns) ?? [], parse.GetValue(practitioner)),
    TimeSpan.FromHours(parse.GetValue(hours))));
root.Subcommands.Add(token);

var letters = new Command("dead-letters", "List, replay or discard messages that failed for good.");
var letterTenant = new Option<string?>("--tenant") { Description = "Only this local area." }.RefuseOptionLikeValue();
var list = new Command("list", "List dead letters, newest first.") { letterTenant };
list.TreatUnmatchedTokensAsErrors = false;
list.SetAction((parse, cancellationToken) => Commands.DeadLettersAsync(parse.UnmatchedTokens.ToArray(), "list", null, parse.GetValue(letterTenant), cancellationToken));
letters.Subcommands.Add(list);
foreach (var verb in new[] { "replay", "discard" })
{
    var id = new Argument<Guid>("id") { Description = "The dead letter's id." };
    var command = new Command(verb, verb == "replay" ? "Put the message back in the queue, due now." : "Delete the message for good.") { id };
    command.TreatUnmatchedTokensAsErrors = false;
    command.SetAction((parse, cancellationToken) => Commands.DeadLettersAsync(parse.UnmatchedTokens.ToArray(), verb, parse.GetValue(id), null, cancellationToken));
    letters.Subcommands.Add(command);
}

root.Subcommands.Add(letters);

var import = new Command("import", "Import reference data.");
var file = new Argument<FileInfo>("file") { Description = "A GIAS establishment extract, or the simple settings CSV (see README)." };
var importTenant = new Option<string>("--tenant") { Description = "The local area (tenant) the settings belong to.", Required = true }.RefuseOptionLikeValue();
var laCodes = new Option<string[]>("--la") { Description = "An LA code of this area (repeatable; adds to Areas:{tenant}:LaCodes). Rows from other LAs are out of area.", AllowMultipleArgumentsPerToken = false };
var localities = new Option<string[]>("--locality") { Description = "District=Locality (repeatable; adds to Areas:{tenant}:Localities).", AllowMultipleArgumentsPerToken = false };
var importSettings = new Command("settings", "Import settings; any bad row is reported by line and nothing is imported. Re-importing is idempotent.")
{
    file, importTenant, laCodes, localities,
};
importSettings.TreatUnmatchedTokensAsErrors = false;
importSettings.SetAction((parse, cancellationToken) => Commands.ImportSettingsAsync(
    parse.UnmatchedTokens.ToArray(),
    parse.GetValue(file)!,
    parse.GetValue(importTenant)!,
    parse.GetValue(laCodes) ?? [],
    parse.GetValue(localities) ?? [],
    cancellationToken));
import.Subcommands.Add(importSettings);
var practitionersFile = new Argument<FileInfo>("file") { Description = $"A CSV with the header {ExpertsAtHand.Service.Features.Practitioners.PractitionersImport.Header} (localities separated by ';')." };
var practitionersTenant = new Option<string>("--tenant") { Description = "The local area (tenant) the practitioners work in.", Required = true }.RefuseOptionLikeValue();
var importPractitioners = new Command("practitioners", "Import practitioners; any bad row is reported by line and nothing is imported. Re-importing is idempotent.")
{
    practitionersFile, practitionersTenant,
};
importPractitioners.TreatUnmatchedTokensAsErrors = false;
importPractitioners.SetAction((parse, cancellationToken) => Commands.ImportPractitionersAsync(parse.UnmatchedTokens.ToArray(), parse.GetValue(practitionersFile)!, parse.GetValue(practitionersTenant)!, cancellationToken));
import.Subcommands.Add(importPractitioners);
root.Subcommands.Add(import);

var accessLog = new Command("access-log", "The record of who viewed children's records.");
var verifyTenant = new Option<string?>("--tenant") { Description = "Only this local area's chain." }.RefuseOptionLikeValue();
var verify = new Command("verify", "Recompute every entry's hash from the one before; name any entry changed, removed or inserted. Exit 1 if any.") { verifyTenant };
verify.TreatUnmatchedTokensAsErrors = false;
verify.SetAction((parse, cancellationToken) => Commands.VerifyAccessLogAsync(parse.UnmatchedTokens.ToArray(), parse.GetValue(verifyTenant), cancellationToken));
accessLog.Subcommands.Add(verify);
root.Subcommands.Add(accessLog);

var keys = new Command("keys", "The keys that seal children's details.");
var rotate = new Command("rotate", "Make a new master key, rewrap every child's key with it in one transaction, then forget the old master key. Safe while the service runs.");
rotate.TreatUnmatchedTokensAsErrors = false;
rotate.SetAction((parse, cancellationToken) => Commands.RotateKeysAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));
keys.Subcommands.Add(rotate);
root.Subcommands.Add(keys);

var projection = new Argument<string>("projection") { Description = "A projection's name, or all." };
var rebuild = new Command("rebuild", "Empty an async projection's read model and replay the whole event log into it, with progress.") { projection };
rebuild.TreatUnmatchedTokensAsErrors = false;
rebuild.SetAction((parse, cancellationToken) => Commands.RebuildAsync(parse.UnmatchedTokens.ToArray(), parse.GetValue(projection)!, cancellationToken));
root.Subcommands.Add(rebuild);

var simSettings = new Option<int>("--settings") { Description = "Settings in the synthetic local area.", DefaultValueFactory = _ => 150 };
var simWeeks = new Option<int>("--weeks") { Description = "Weeks to play.", DefaultValueFactory = _ => 52 };
var simSeed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same year.", DefaultValueFactory = _ => 1 };
var simShare = new Option<double>("--proactive-share") { Description = "Share of settings that ask more often.", DefaultValueFactory = _ => 0.25 };
var simMultiplier = new Option<double>("--proactive-multiplier") { Description = "How many times as often they ask.", DefaultValueFactory = _ => 3 };
var simPolicy = new Option<string>("--policy") { Description = "fair (the allocation engine) or fcfs (first come, first served).", DefaultValueFactory = _ => "fair" };
simPolicy.AcceptOnlyFromAmong("fair", "fcfs");
var simQuiet = new Option<double>("--quiet-high-need") { Description = "How often the top need quartile asks compared with other settings (1: as often).", DefaultValueFactory = _ => 1 };
var simOutreach = new Option<string>("--outreach") { Description = "on: each week the outreach rule offers time to quiet high-need settings; off: no outreach.", DefaultValueFactory = _ => "off" };
simOutreach.AcceptOnlyFromAmong("on", "off");
var simTakeUp = new Option<double>("--outreach-take-up") { Description = "Share of outreach offers that become a request.", DefaultValueFactory = _ => 0.5 };
var simulate = new Command("simulate", "Play a synthetic year of demand through an allocation policy and print fairness and timeliness figures.")
{
    simSettings, simWeeks, simSeed, simShare, simMultiplier, simPolicy, simQuiet, simOutreach, simTakeUp,
};
simulate.SetAction(parse => Commands.Simulate(new ExpertsAtHand.Domain.Allocation.SimulationOptions(
    parse.GetValue(simSettings),
    parse.GetValue(simWeeks),
    parse.GetValue(simSeed),
    parse.GetValue(simShare),
    parse.GetValue(simMultiplier),
    parse.GetValue(simPolicy) == "fcfs" ? ExpertsAtHand.Domain.Allocation.AllocationPolicy.Fcfs : ExpertsAtHand.Domain.Allocation.AllocationPolicy.Fair,
    parse.GetValue(simQuiet),
    parse.GetValue(simOutreach) == "on",
    parse.GetValue(simTakeUp))));
root.Subcommands.Add(simulate);

var whatIfTenant = new Option<string>("--tenant") { Description = "The local area.", Required = true }.RefuseOptionLikeValue();
var whatIfFrom = new Option<DateOnly>("--from") { Description = "First day of the period (yyyy-MM-dd).", Required = true };
var whatIfTo = new Option<DateOnly>("--to") { Description = "Last day of the period (yyyy-MM-dd).", Required = true };
var whatIfPolicy = new Option<string>("--policy") { Description = "fair (the allocation engine) or fcfs (first come, first served).", DefaultValueFactory = _ => "fair" };
whatIfPolicy.AcceptOnlyFromAmong("fair", "fcfs");
var whatIfOutreach = new Option<string>("--outreach") { Description = "on: the outreach rule offers time to quiet high-need settings each week.", DefaultValueFactory = _ => "off" };
whatIfOutreach.AcceptOnlyFromAmong("on", "off");
var whatIf = new Command("what-if", "Replay the area's recorded demand and capacity week by week through a policy and print it beside what actually happened.")
{
    whatIfTenant, whatIfFrom, whatIfTo, whatIfPolicy, whatIfOutreach,
};
whatIf.TreatUnmatchedTokensAsErrors = false;
whatIf.SetAction((parse, cancellationToken) => Commands.WhatIfAsync(
    parse.UnmatchedTokens.ToArray(),
    parse.GetValue(whatIfTenant)!,
    parse.GetValue(whatIfFrom),
    parse.GetValue(whatIfTo),
    parse.GetValue(whatIfPolicy) == "fcfs" ? ExpertsAtHand.Domain.Allocation.AllocationPolicy.Fcfs : ExpertsAtHand.Domain.Allocation.AllocationPolicy.Fair,
    parse.GetValue(whatIfOutreach) == "on",
    cancellationToken));
root.Subcommands.Add(whatIf);

root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((parse, cancellationToken) => Commands.ServeAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));

// The web host handles Ctrl+C and SIGTERM itself and shuts down in order (then the embedded
// database stops); the command line's own handler would cut that short.
return await root.Parse(OptionValues.OneValuePerOption(args, "--urn", "--la", "--locality")).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
