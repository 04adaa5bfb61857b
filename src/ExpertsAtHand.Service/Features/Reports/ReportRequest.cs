using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Hosting;
using ExpertsAtHand.Service.Features.Requests;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// What every report is asked: the period, the optional filters (locality, phase, discipline) and
/// optionally the date whose end the answer should stand at.
/// </summary>
public sealed record ReportQuery(string Tenant, DateOnly From, DateOnly To, DateOnly? AsOf, string? Locality, Phase? Phase, Discipline? Discipline)
{
    public string? PhaseName => Phase?.ToString();

    public string? DisciplineName => Discipline?.ToString();

    /// <summary>The period's share of a year, for pro-rata entitlement.</summary>
    public decimal YearShare => (To.DayNumber - From.DayNumber + 1) / 365m;
}

/// <summary>What every report checks first: the caller may read reports, and the question makes sense.</summary>
public static class ReportRequest
{
    public const int LongestPeriodDays = 3 * 366;

    public static (ReportQuery? Query, Dictionary<string, string[]> Errors, IResult? Forbidden) Parse(
        HttpContext http, DateOnly? from, DateOnly? to, DateOnly? asOf, string? locality, string? phase, string? discipline)
    {
        var errors = new Dictionary<string, string[]>();
        var caller = Caller.From(http.User)!;
        if (!caller.Is(Roles.Coordinator, Roles.Commissioner))
        {
            return (null, errors, Problems.Forbidden("Reports are for coordinators and commissioners."));
        }

        if (from is null || to is null)
        {
            errors[from is null ? "from" : "to"] = ["Give the period as from and to dates (yyyy-MM-dd)."];
        }
        else if (to < from)
        {
            errors["to"] = ["The period ends on or after it starts."];
        }
        else if (to.Value.DayNumber - from.Value.DayNumber >= LongestPeriodDays)
        {
            errors["to"] = ["A period of at most three years."];
        }

        CheckAsOf(http, caller.Tenant, asOf, errors);
        if (locality is { Length: 0 or > 100 })
        {
            errors["locality"] = ["A locality name of 1 to 100 characters."];
        }

        var parsedPhase = ParseName<Phase>(phase, "phase", errors);
        var parsedDiscipline = ParseName<Discipline>(discipline, "discipline", errors);
        return errors.Count > 0
            ? (null, errors, null)
            : (new ReportQuery(caller.Tenant, from!.Value, to!.Value, asOf, locality, parsedPhase, parsedDiscipline), errors, null);
    }

    /// <summary>An as-of date must not be after the area's today: the log cannot answer for the future.</summary>
    public static void CheckAsOf(HttpContext http, string tenant, DateOnly? asOf, Dictionary<string, string[]> errors)
    {
        var today = http.RequestServices.GetRequiredService<RequestRulesCatalog>().For(tenant)
            .LocalDate(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        if (asOf > today)
        {
            errors["asOf"] = [$"A date on or before today ({today:yyyy-MM-dd}): the log cannot answer for the future."];
        }
    }

    /// <summary>An enum by its name (any case); numbers are refused, so "2" never passes for a phase.</summary>
    private static TEnum? ParseName<TEnum>(string? value, string field, Dictionary<string, string[]> errors)
        where TEnum : struct, Enum
    {
        if (value is null)
        {
            return null;
        }

        if (!int.TryParse(value, out _) && Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
        {
            return parsed;
        }

        errors[field] = [$"One of {string.Join(", ", Enum.GetNames<TEnum>())}."];
        return null;
    }
}

/// <summary>The filters an answer was computed under, echoed so an exported figure carries its scope.</summary>
public sealed record ReportFilters(string? Locality, string? Phase, string? Discipline)
{
    public static ReportFilters Of(ReportQuery query) => new(query.Locality, query.PhaseName, query.DisciplineName);
}
