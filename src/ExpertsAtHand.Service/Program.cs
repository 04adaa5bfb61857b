using System.CommandLine;
using ExpertsAtHand.Service.Hosting;

var root = new RootCommand("Experts at Hand: triage and case management for a local area's Experts at Hand offer.");

var serve = new Command("serve", "Run the service (the default). With no ConnectionStrings__Postgres it starts an embedded PostgreSQL.");
serve.SetAction((parse, cancellationToken) => Commands.ServeAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));
serve.TreatUnmatchedTokensAsErrors = false;
root.Subcommands.Add(serve);

var migrate = new Command("migrate", "Apply pending schema migrations and exit.");
migrate.SetAction((parse, cancellationToken) => Commands.MigrateAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));
migrate.TreatUnmatchedTokensAsErrors = false;
root.Subcommands.Add(migrate);

root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((parse, cancellationToken) => Commands.ServeAsync(parse.UnmatchedTokens.ToArray(), cancellationToken));

// The web host handles Ctrl+C and SIGTERM itself and shuts down in order (then the embedded
// database stops); the command line's own handler would cut that short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
