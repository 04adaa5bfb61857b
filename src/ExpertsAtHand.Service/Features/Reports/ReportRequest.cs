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

        var rules = http.RequestServices.GetRequiredService<RequestRulesCatalog>().For(caller.Tenant);
        var today = rules.LocalDate(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        if (asOf > today)
        {
            errors["asOf"] = [$"A date on or before today ({today:yyyy-MM-dd}): the log cannot answer for the future."];
        }

        if (locality is { Length: 0 or > 100 })
        {
            errors["locality"] = ["A locality name of 1 to 100 characters."];
        }

        Phase? parsedPhase = null;
        if (phase is not null)
        {
            if (Enum.TryParse<Phase>(phase, ignoreCase: true, out var p) && Enum.IsDefined(p) && !int.TryParse(phase, out _))
            {
                parsedPhase = p;
            }
            else
            {
                errors["phase"] = [$"One of {string.Join(", ", Enum.GetNames<Phase>())}."];
            }
        }

        Discipline? parsedDiscipline = null;
        if (discipline is not null)
        {
            if (Enum.TryParse<Discipline>(discipline, ignoreCase: true, out var d) && Enum.IsDefined(d) && !int.TryParse(discipline, out _))
            {
                parsedDiscipline = d;
            }
            else
            {
                errors["discipline"] = [$"One of {string.Join(", ", Enum.GetNames<Discipline>())}."];
            }
        }

        return errors.Count > 0
            ? (null, errors, null)
            : (new ReportQuery(caller.Tenant, from!.Value, to!.Value, asOf, locality, parsedPhase, parsedDiscipline), errors, null);
    }
}

/// <summary>The filters an answer was computed under, echoed so an exported figure carries its scope.</summary>
public sealed record ReportFilters(string? Locality, string? Phase, string? Discipline)
{
    public static ReportFilters Of(ReportQuery query) => new(query.Locality, query.PhaseName, query.DisciplineName);
}
