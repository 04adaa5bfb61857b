using ExpertsAtHand.Domain.Settings;

namespace ExpertsAtHand.Domain.Allocation;

/// <summary>
/// A setting's annual share of offer time: a base by phase plus hours per pupil, scaled up for need
/// (SEN support, EHC plans) and deprivation (free school meals). Configurable per local area.
/// </summary>
public sealed record EntitlementFormula(
    IReadOnlyDictionary<Phase, decimal> BaseHours,
    decimal HoursPerPupil,
    decimal SenSupportWeight,
    decimal EhcpWeight,
    decimal FsmWeight,
    decimal HoursPerDay)
{
    /// <summary>
    /// Calibrated so a primary of 280 pupils (24% FSM, 14% SEN support, 2.5% EHCP) gets 40 days and a
    /// secondary of 1,000 pupils with the same profile 160 days, at 6.5 hours a day — the national
    /// offer's figures for average schools.
    /// </summary>
    public static EntitlementFormula Default { get; } = new(
        new Dictionary<Phase, decimal>
        {
            [Phase.EarlyYears] = 25m,
            [Phase.Primary] = 51.2m,
            [Phase.Secondary] = 264.7m,
            [Phase.AllThrough] = 264.7m,
            [Phase.FurtherEducation] = 264.7m,
            [Phase.AlternativeProvision] = 51.2m,
        },
        HoursPerPupil: 0.5m,
        SenSupportWeight: 1m,
        EhcpWeight: 4m,
        FsmWeight: 0.5m,
        HoursPerDay: 6.5m);

    /// <summary>The need multiplier alone: 1 plus weighted shares (a share of 14% is 0.14).</summary>
    public decimal NeedMultiplier(SettingDetails setting) =>
        1m + (SenSupportWeight * setting.PercentSenSupport / 100m) + (EhcpWeight * setting.PercentEhcp / 100m) + (FsmWeight * setting.PercentFsm / 100m);

    /// <summary>Hours a year (September to August).</summary>
    public decimal AnnualHours(SettingDetails setting) =>
        Math.Round((BaseHours.GetValueOrDefault(setting.Phase) + (HoursPerPupil * setting.NumberOnRoll)) * NeedMultiplier(setting), 1);

    public decimal AnnualDays(SettingDetails setting) => Math.Round(AnnualHours(setting) / HoursPerDay, 1);

    /// <summary>The academic year a date falls in, named by its starting September ("2026" for 2026/27).</summary>
    public static int AcademicYear(DateOnly date) => date.Month >= 9 ? date.Year : date.Year - 1;
}
