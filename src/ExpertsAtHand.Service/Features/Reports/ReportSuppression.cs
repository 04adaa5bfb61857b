using ExpertsAtHand.Service.Hosting;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>
/// Commissioners' answers hide small counts by the quarterly return's rule (1 to 4), and every rate,
/// average or date built on a hidden count, so nobody outside the team can single out a child in a
/// small setting or cohort. Coordinators, who work the cases, see exact figures.
/// </summary>
public static class ReportSuppression
{
    public const string Note = "Counts from 1 to 4 are hidden (null), with the rates built on them, as in the quarterly return.";

    /// <summary>The rule for this caller's answers: the return's default for commissioners, none for coordinators.</summary>
    public static Suppression? For(HttpContext http) => Caller.From(http.User) is { } caller && caller.Is(Roles.Commissioner) ? Suppression.Default : null;

    public static CoverageReport Apply(CoverageReport report, Suppression? rule) => rule is null ? report : report with
    {
        Rows = [.. report.Rows.Select(r => Row(r, rule))],
        Total = Row(report.Total, rule),
        Suppression = Note,
    };

    public static TimelinessReport Apply(TimelinessReport report, Suppression? rule) => rule is null ? report : report with
    {
        Groups = [.. report.Groups.Select(g => g with { TimeToTriage = Clock(g.TimeToTriage, rule), TimeToFirstContact = Clock(g.TimeToFirstContact, rule) })],
        Suppression = Note,
    };

    public static DeEscalationReport Apply(DeEscalationReport report, Suppression? rule) => rule is null ? report : report with
    {
        Closed = Count(report.Closed, rule),
        ClosedExceptWithdrawn = Count(report.ClosedExceptWithdrawn, rule),
        DeEscalated = Count(report.DeEscalated, rule),
        Escalated = Count(report.Escalated, rule),
        IndividualRaised = Count(report.IndividualRaised, rule),
        Repeats = Count(report.Repeats, rule),
        ChildrenSupportedWithoutPlan = Count(report.ChildrenSupportedWithoutPlan, rule),
        DeEscalationRate = rule.SuppressesAny(report.ClosedExceptWithdrawn, report.DeEscalated) ? null : report.DeEscalationRate,
        EscalationRate = rule.SuppressesAny(report.ClosedExceptWithdrawn, report.Escalated) ? null : report.EscalationRate,
        RepeatRate = rule.SuppressesAny(report.IndividualRaised, report.Repeats) ? null : report.RepeatRate,
        Suppression = Note,
    };

    public static CapacityReport Apply(CapacityReport report, Suppression? rule) => rule is null ? report : report with
    {
        Weeks =
        [
            .. report.Weeks.Select(w =>
            {
                var backlogHidden = rule.Suppresses(w.Backlog);
                return w with
                {
                    Received = Count(w.Received, rule),
                    AwaitingTriage = Count(w.AwaitingTriage, rule),
                    AwaitingFirstContact = Count(w.AwaitingFirstContact, rule),
                    Backlog = Count(w.Backlog, rule),
                    // The oldest wait of one to four requests points at a case.
                    OldestWaitingSince = backlogHidden ? null : w.OldestWaitingSince,
                    OldestWaitWorkingDays = backlogHidden ? null : w.OldestWaitWorkingDays,
                };
            }),
        ],
        Suppression = Note,
    };

    private static long? Count(long? value, Suppression rule) => rule.Suppresses(value) ? null : value;

    private static CoverageRow Row(CoverageRow row, Suppression rule) => row with
    {
        SettingsInScope = Count(row.SettingsInScope, rule),
        SettingsSupported = Count(row.SettingsSupported, rule),
        Coverage = rule.SuppressesAny(row.SettingsInScope, row.SettingsSupported) ? null : row.Coverage,
    };

    private static ClockFigures Clock(ClockFigures clock, Suppression rule) => rule.Suppresses(clock.Count)
        ? new ClockFigures(null, null, null, null)
        : rule.Suppresses(clock.WithinStandard) ? clock with { ShareWithinStandard = null } : clock;
}
