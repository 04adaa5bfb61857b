using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using ExpertsAtHand.Domain.Settings;

namespace ExpertsAtHand.Service.Features.Settings;

/// <summary>How a file's rows become settings for one local area.</summary>
public sealed record ImportOptions(
    IReadOnlySet<string> AreaLaCodes,
    IReadOnlyDictionary<string, string> LocalityByDistrict);

public sealed record ImportRowError(int Line, string Field, string Problem)
{
    /// <summary>The 400 for a file with bad rows: every problem, grouped by line.</summary>
    public static IResult ProblemFor(IReadOnlyList<ImportRowError> errors) => TypedResults.ValidationProblem(
        errors.GroupBy(e => $"line {e.Line}").ToDictionary(g => g.Key, g => g.Select(e => $"{e.Field}: {e.Problem}").ToArray()),
        title: $"{errors.Select(e => e.Line).Distinct().Count()} row(s) are not valid; nothing was imported");
}

public sealed record ParsedSetting(int Line, string Urn, SettingDetails Details);

/// <summary>What a file's import did, in total and line by line (registered, changed or unchanged).</summary>
public sealed record ImportReport(int Rows, int Registered, int Changed, int Unchanged, IReadOnlyList<ImportLine> Lines)
{
    /// <summary>Counts the outcomes of the lines, in file order.</summary>
    public static ImportReport Of(IReadOnlyList<ImportLine> lines) => new(
        lines.Count,
        lines.Count(l => l.Outcome == ImportOutcome.Registered),
        lines.Count(l => l.Outcome == ImportOutcome.Changed),
        lines.Count(l => l.Outcome == ImportOutcome.Unchanged),
        lines);
}

public enum ImportOutcome
{
    Registered,
    Changed,
    Unchanged,
}

/// <summary>One row's outcome: the file's line, the setting's URN or the practitioner's id.</summary>
public sealed record ImportLine(int Line, string Id, ImportOutcome Outcome);

/// <summary>
/// Reads a GIAS establishment extract (its real headers, ISO-8859-1) or our simple CSV for colleges
/// and early years providers. Every row is checked before anything is written.
/// </summary>
public static class SettingsImport
{
    public const string SimpleHeader = "Urn,Name,Phase,Locality,InArea,NumberOnRoll,PercentFsm,PercentSenSupport,PercentEhcp,Postcode,Open";

    public static (IReadOnlyList<ParsedSetting> Settings, IReadOnlyList<ImportRowError> Errors) Parse(Stream file, ImportOptions options)
    {
        // GIAS extracts are ISO-8859-1; our own simple files are UTF-8. Latin-1 decodes UTF-8's ASCII subset identically,
        // so sniff the header as Latin-1 and re-read UTF-8 files properly.
        using var buffer = new MemoryStream();
        file.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var latin1 = Encoding.Latin1.GetString(bytes);
        var firstLine = latin1.Split('\n', 2)[0];
        var isGias = firstLine.Contains("EstablishmentName", StringComparison.Ordinal) && firstLine.Contains("URN", StringComparison.Ordinal);
        var text = isGias ? latin1 : new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF');
        using var reader = new StringReader(text);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null, BadDataFound = null, DetectColumnCountChanges = false });
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is null)
        {
            return ([], [new ImportRowError(1, "header", "The file is empty.")]);
        }

        var settings = new List<ParsedSetting>();
        var errors = new List<ImportRowError>();
        var header = csv.HeaderRecord;
        if (!isGias && string.Join(',', header) != SimpleHeader)
        {
            return ([], [new ImportRowError(1, "header", $"Expected a GIAS extract or the header {SimpleHeader}.")]);
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            var rowErrors = ImportCells.WithControlCharacters(csv, line);
            if (rowErrors.Count > 0)
            {
                errors.AddRange(rowErrors);
                continue;
            }

            var parsed = isGias ? FromGias(csv, line, options, rowErrors) : FromSimple(csv, line, rowErrors);
            if (parsed is not null && seen.TryGetValue(parsed.Urn, out var first))
            {
                rowErrors.Add(new ImportRowError(line, "URN", $"URN {parsed.Urn} appears again (first on line {first})."));
            }

            if (rowErrors.Count > 0 || parsed is null)
            {
                errors.AddRange(rowErrors);
                continue;
            }

            seen[parsed.Urn] = line;
            settings.Add(parsed);
        }

        return (EstimateBlankSenFigures(settings), errors);
    }

    /// <summary>
    /// A setting whose SEN counts were blank gets the average of the settings of its phase in the
    /// same file that have them (weighted by pupils on roll), else of the whole file; with nothing to
    /// go on, the figures stay 0. Either way it is marked estimated, so nobody mistakes it for a count.
    /// </summary>
    private static List<ParsedSetting> EstimateBlankSenFigures(List<ParsedSetting> settings)
    {
        var known = settings.Where(s => !s.Details.SenFiguresEstimated && s.Details.NumberOnRoll > 0).ToList();
        (decimal SenSupport, decimal Ehcp)? Average(IEnumerable<ParsedSetting> group)
        {
            var list = group.ToList();
            var pupils = list.Sum(s => (decimal)s.Details.NumberOnRoll);
            return pupils == 0 ? null : (
                Math.Round(list.Sum(s => s.Details.PercentSenSupport * s.Details.NumberOnRoll) / pupils, 1),
                Math.Round(list.Sum(s => s.Details.PercentEhcp * s.Details.NumberOnRoll) / pupils, 1));
        }

        var overall = Average(known);
        var byPhase = known.GroupBy(s => s.Details.Phase).ToDictionary(g => g.Key, g => Average(g));
        return
        [
            .. settings.Select(s => s.Details.SenFiguresEstimated && (byPhase.GetValueOrDefault(s.Details.Phase) ?? overall) is { } estimate
                ? s with { Details = s.Details with { PercentSenSupport = estimate.SenSupport, PercentEhcp = estimate.Ehcp } }
                : s),
        ];
    }

    private static ParsedSetting? FromGias(CsvReader csv, int line, ImportOptions options, List<ImportRowError> errors)
    {
        string Field(string name) => (csv.GetField(name) ?? string.Empty).Trim();
        var urn = Field("URN");
        var name = Field("EstablishmentName");
        if (!IsUrn(urn))
        {
            errors.Add(new ImportRowError(line, "URN", $"'{urn}' is not a URN (5 to 8 digits)."));
        }

        if (name.Length == 0)
        {
            errors.Add(new ImportRowError(line, "EstablishmentName", "The name is empty."));
        }

        var pupils = WholeNumber(Field("NumberOfPupils"), line, "NumberOfPupils", errors);
        var fsm = Percentage(Field("PercentageFSM"), line, "PercentageFSM", errors);
        // Blank is unknown, not none: such a row's SEN percentages are estimated once the whole file is read.
        int? ehcp = Field("SENStat").Length == 0 ? null : WholeNumber(Field("SENStat"), line, "SENStat", errors);
        int? senSupport = Field("SENNoStat").Length == 0 ? null : WholeNumber(Field("SENNoStat"), line, "SENNoStat", errors);
        var phase = GiasPhase(Field("PhaseOfEducation (name)"), Field("TypeOfEstablishment (name)"), Field("FurtherEducationType (name)"), Field("StatutoryLowAge"), Field("StatutoryHighAge"));
        if (phase is null)
        {
            errors.Add(new ImportRowError(line, "PhaseOfEducation (name)", $"Cannot tell the phase of '{Field("PhaseOfEducation (name)")}' ({Field("TypeOfEstablishment (name)")}) from its phase or statutory ages."));
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var district = Field("DistrictAdministrative (name)");
        var status = Field("EstablishmentStatus (name)");
        return new ParsedSetting(line, urn, new SettingDetails(
            name,
            phase!.Value,
            options.LocalityByDistrict.TryGetValue(district, out var locality) ? locality : district.Length > 0 ? district : "Unassigned",
            options.AreaLaCodes.Contains(Field("LA (code)")),
            pupils,
            fsm,
            pupils > 0 && senSupport is { } support ? Math.Round(100m * support / pupils, 1) : 0,
            pupils > 0 && ehcp is { } plans ? Math.Round(100m * plans / pupils, 1) : 0,
            Field("Postcode") is { Length: > 0 } postcode ? postcode : null,
            status is "Open" or "Open, but proposed to close" or "Open but proposed to close",
            SenFiguresEstimated: senSupport is null || ehcp is null || pupils == 0));
    }

    private static ParsedSetting? FromSimple(CsvReader csv, int line, List<ImportRowError> errors)
    {
        string Field(string name) => (csv.GetField(name) ?? string.Empty).Trim();
        var urn = Field("Urn");
        if (!IsUrn(urn))
        {
            errors.Add(new ImportRowError(line, "Urn", $"'{urn}' is not a URN, UKPRN or Ofsted URN (5 to 8 digits)."));
        }

        if (Field("Name").Length == 0)
        {
            errors.Add(new ImportRowError(line, "Name", "The name is empty."));
        }

        if (!Enum.TryParse<Phase>(Field("Phase"), ignoreCase: true, out var phase) || !Enum.IsDefined(phase))
        {
            errors.Add(new ImportRowError(line, "Phase", $"'{Field("Phase")}' is not one of {string.Join(", ", Enum.GetNames<Phase>())}."));
        }

        if (Field("Locality").Length == 0)
        {
            errors.Add(new ImportRowError(line, "Locality", "The locality is empty."));
        }

        var inArea = Boolean(Field("InArea"), line, "InArea", errors);
        var open = Boolean(Field("Open"), line, "Open", errors);
        var pupils = WholeNumber(Field("NumberOnRoll"), line, "NumberOnRoll", errors);
        var fsm = Percentage(Field("PercentFsm"), line, "PercentFsm", errors);
        var senSupport = Percentage(Field("PercentSenSupport"), line, "PercentSenSupport", errors);
        var ehcp = Percentage(Field("PercentEhcp"), line, "PercentEhcp", errors);
        var estimated = Field("PercentSenSupport").Length == 0 || Field("PercentEhcp").Length == 0;
        return errors.Count > 0
            ? null
            : new ParsedSetting(line, urn, new SettingDetails(Field("Name"), phase, Field("Locality"), inArea, pupils, fsm, senSupport, ehcp, Field("Postcode") is { Length: > 0 } p ? p : null, open, estimated));
    }

    /// <summary>GIAS phase names, then the establishment type, then the statutory age range.</summary>
    private static Phase? GiasPhase(string phase, string type, string furtherEducationType, string lowAge, string highAge)
    {
        switch (phase)
        {
            case "Nursery": return Phase.EarlyYears;
            case "Primary" or "Middle deemed primary": return Phase.Primary;
            case "Secondary" or "Middle deemed secondary": return Phase.Secondary;
            case "All-through" or "All through": return Phase.AllThrough;
            case "16 plus": return Phase.FurtherEducation;
        }

        if (type.Contains("Pupil referral", StringComparison.OrdinalIgnoreCase) || type.Contains("alternative provision", StringComparison.OrdinalIgnoreCase))
        {
            return Phase.AlternativeProvision;
        }

        if (type.Contains("Further education", StringComparison.OrdinalIgnoreCase) || (furtherEducationType.Length > 0 && furtherEducationType != "Not applicable"))
        {
            return Phase.FurtherEducation;
        }

        if (int.TryParse(lowAge, out var low) && int.TryParse(highAge, out var high))
        {
            return (low, high) switch
            {
                (< 5, <= 5) => Phase.EarlyYears,
                (_, <= 13) when low < 11 => Phase.Primary,
                (>= 11, <= 16) => Phase.Secondary,
                (>= 16, _) => Phase.FurtherEducation,
                _ => Phase.AllThrough,
            };
        }

        return null;
    }

    private static bool IsUrn(string value) => value.Length is >= 5 and <= 8 && value.All(char.IsAsciiDigit);

    private static int WholeNumber(string value, int line, string field, List<ImportRowError> errors)
    {
        if (value.Length == 0)
        {
            return 0; // GIAS leaves counts blank for closed and some independent establishments
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= 20_000)
        {
            return number;
        }

        errors.Add(new ImportRowError(line, field, $"'{value}' is not a whole number of pupils."));
        return 0;
    }

    private static decimal Percentage(string value, int line, string field, List<ImportRowError> errors)
    {
        if (value.Length == 0)
        {
            return 0;
        }

        if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && number <= 100)
        {
            return number;
        }

        errors.Add(new ImportRowError(line, field, $"'{value}' is not a percentage from 0 to 100."));
        return 0;
    }

    private static bool Boolean(string value, int line, string field, List<ImportRowError> errors)
    {
        switch (value.ToUpperInvariant())
        {
            case "TRUE" or "YES" or "Y" or "1": return true;
            case "FALSE" or "NO" or "N" or "0": return false;
            default:
                errors.Add(new ImportRowError(line, field, $"'{value}' is not yes or no."));
                return false;
        }
    }
}

/// <summary>Writes checked settings: each through its own stream, so unchanged rows record nothing.</summary>
public static class SettingsImporter
{
    public static async Task<ImportReport> ImportAsync(Marten.IDocumentStore store, string tenant, string actor, IReadOnlyList<ParsedSetting> settings, DateTimeOffset at, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var lines = new List<ImportLine>(settings.Count);
        foreach (var (setting, index) in settings.Select((s, i) => (s, i)))
        {
            var events = await SettingEndpoints.RegisterAsync(store, tenant, actor, setting.Urn, setting.Details, at, null, cancellationToken).ConfigureAwait(false);
            lines.Add(new ImportLine(setting.Line, setting.Urn, (events.Count > 0 ? events[0] : null) switch
            {
                SettingRegistered => ImportOutcome.Registered,
                SettingDetailsChanged => ImportOutcome.Changed,
                _ => ImportOutcome.Unchanged,
            }));
            progress?.Report(index + 1);
        }

        return ImportReport.Of(lines);
    }

    /// <summary>An area's LA codes (Areas:{tenant}:LaCodes) and district → locality map (Areas:{tenant}:Localities).</summary>
    public static ImportOptions OptionsFor(IConfiguration configuration, string tenant, IEnumerable<string>? extraLaCodes = null, IEnumerable<KeyValuePair<string, string>>? extraLocalities = null)
    {
        var area = configuration.GetSection($"Areas:{tenant}");
        var laCodes = area.GetSection("LaCodes").GetChildren().Select(c => c.Value ?? string.Empty).Concat(extraLaCodes ?? []).Where(c => c.Length > 0).ToHashSet(StringComparer.Ordinal);
        var localities = area.GetSection("Localities").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? c.Key, StringComparer.OrdinalIgnoreCase);
        foreach (var (district, locality) in extraLocalities ?? [])
        {
            localities[district] = locality;
        }

        return new ImportOptions(laCodes, localities);
    }
}
