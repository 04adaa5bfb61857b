using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Features.Settings;

namespace ExpertsAtHand.Service.Features.Practitioners;

public sealed record ParsedPractitioner(int Line, string Id, PractitionerDetails Details);

/// <summary>
/// Practitioners from a CSV (Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active; localities
/// separated by ';'). As for settings: every row is checked first, and re-importing records nothing.
/// </summary>
public static class PractitionersImport
{
    public const string Header = "Id,Name,Discipline,Provider,Localities,WeeklyCapacityHours,Active";

    public static (IReadOnlyList<ParsedPractitioner> Practitioners, IReadOnlyList<ImportRowError> Errors) Parse(Stream file)
    {
        using var reader = new StreamReader(file, new UTF8Encoding(false));
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null, BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader() || string.Join(',', csv.HeaderRecord ?? []) != Header)
        {
            return ([], [new ImportRowError(1, "header", $"Expected the header {Header}.")]);
        }

        var practitioners = new List<ParsedPractitioner>();
        var errors = new List<ImportRowError>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            string Field(string name) => (csv.GetField(name) ?? string.Empty).Trim();
            var before = errors.Count;
            if (ImportCells.WithControlCharacters(csv, line) is { Count: > 0 } refused)
            {
                errors.AddRange(refused);
                continue;
            }

            var id = Field("Id");
            if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                errors.Add(new ImportRowError(line, "Id", $"'{id}' is not an id (1 to 64 letters, digits or hyphens)."));
            }
            else if (seen.TryGetValue(id, out var first))
            {
                errors.Add(new ImportRowError(line, "Id", $"{id} appears again (first on line {first})."));
            }

            if (Field("Name").Length is 0 or > 200)
            {
                errors.Add(new ImportRowError(line, "Name", "The name is empty or longer than 200 characters."));
            }

            if (!Enum.TryParse<Discipline>(Field("Discipline"), ignoreCase: true, out var discipline) || !Enum.IsDefined(discipline))
            {
                errors.Add(new ImportRowError(line, "Discipline", $"'{Field("Discipline")}' is not one of {string.Join(", ", Enum.GetNames<Discipline>())}."));
            }

            if (!Enum.TryParse<ProviderOrganisation>(Field("Provider"), ignoreCase: true, out var provider) || !Enum.IsDefined(provider))
            {
                errors.Add(new ImportRowError(line, "Provider", $"'{Field("Provider")}' is not one of {string.Join(", ", Enum.GetNames<ProviderOrganisation>())}."));
            }

            var localities = Field("Localities").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
            if (localities.Length == 0)
            {
                errors.Add(new ImportRowError(line, "Localities", "Name at least one locality (separate several with ';')."));
            }

            if (!decimal.TryParse(Field("WeeklyCapacityHours"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var hours) || hours > 60)
            {
                errors.Add(new ImportRowError(line, "WeeklyCapacityHours", $"'{Field("WeeklyCapacityHours")}' is not a number of hours from 0 to 60."));
            }

            var active = Field("Active").ToUpperInvariant() switch
            {
                "TRUE" or "YES" or "Y" or "1" => true,
                "FALSE" or "NO" or "N" or "0" => false,
                _ => (bool?)null,
            };
            if (active is null)
            {
                errors.Add(new ImportRowError(line, "Active", $"'{Field("Active")}' is not yes or no."));
            }

            if (errors.Count == before)
            {
                seen[id] = line;
                practitioners.Add(new ParsedPractitioner(line, id, new PractitionerDetails(Field("Name"), discipline, provider, localities, hours, active!.Value)));
            }
        }

        return (practitioners, errors);
    }

    public static async Task<ImportReport> ImportAsync(Marten.IDocumentStore store, string tenant, string actor, IReadOnlyList<ParsedPractitioner> practitioners, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var lines = new List<ImportLine>(practitioners.Count);
        foreach (var practitioner in practitioners)
        {
            var events = await PractitionerEndpoints.RegisterAsync(store, tenant, actor, practitioner.Id, practitioner.Details, at, null, cancellationToken).ConfigureAwait(false);
            lines.Add(new ImportLine(practitioner.Line, practitioner.Id, (events.Count > 0 ? events[0] : null) switch
            {
                PractitionerRegistered => ImportOutcome.Registered,
                PractitionerDetailsChanged => ImportOutcome.Changed,
                _ => ImportOutcome.Unchanged,
            }));
        }

        return ImportReport.Of(lines);
    }
}
