using System.Collections.Concurrent;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// How long an area keeps a child's details: until the birthday the area names (Retention:ChildAge, 31
/// by default, the schools' records management toolkit's SEN file rule; an NHS-style area sets 25), and
/// a setting-level request's free text for Retention:SettingRequestYears after it was raised (6).
/// Areas:{tenant}:Retention:… sets one area's rule.
/// </summary>
public sealed record RetentionRule(int ChildAge, int SettingRequestYears)
{
    public static readonly RetentionRule Default = new(31, 6);

    /// <summary>
    /// When the details are erased. The service holds a year group, never a date of birth, so the
    /// birthday is the latest the year group allows (31 August of the year the child turned the year
    /// group's age): details are never erased before the rule allows, and at most a year after.
    /// </summary>
    public DateOnly EraseDetailsOn(int? yearGroup, DateOnly raisedOn)
    {
        if (yearGroup is not { } year)
        {
            return raisedOn.AddYears(SettingRequestYears);
        }

        // National Curriculum year by age on 31 August before the school year: Reception (0) is 4, Year 11 is 15.
        var schoolYearStart = raisedOn.Month >= 9 ? raisedOn.Year : raisedOn.Year - 1;
        var latestBirthday = new DateOnly(schoolYearStart - (year + 4), 8, 31);
        return latestBirthday.AddYears(ChildAge);
    }
}

public sealed class RetentionRules(IConfiguration configuration)
{
    private readonly ConcurrentDictionary<string, RetentionRule> _byTenant = new(StringComparer.Ordinal);

    public RetentionRule For(string tenant) => _byTenant.GetOrAdd(tenant, t =>
    {
        var all = Read(configuration.GetSection("Retention"), RetentionRule.Default);
        return Read(configuration.GetSection($"Areas:{t}:Retention"), all);
    });

    /// <summary>How long the access log keeps an entry (Retention:AccessLogMonths, 84: seven years).</summary>
    public int AccessLogMonths => configuration.GetValue("Retention:AccessLogMonths", 84);

    /// <summary>How long a message that failed for good is kept for an administrator (Retention:DeadLetterDays, 30).</summary>
    public int DeadLetterDays => configuration.GetValue("Retention:DeadLetterDays", 30);

    private static RetentionRule Read(IConfigurationSection section, RetentionRule fallback) => new(
        section.GetValue("ChildAge", fallback.ChildAge),
        section.GetValue("SettingRequestYears", fallback.SettingRequestYears));
}
