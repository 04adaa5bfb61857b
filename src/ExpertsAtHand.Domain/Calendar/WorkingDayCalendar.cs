using System.Text.Json;

namespace ExpertsAtHand.Domain.Calendar;

/// <summary>
/// Working days: Monday to Friday, less England and Wales bank holidays. Every response-time
/// standard is counted in these.
/// </summary>
public sealed class WorkingDayCalendar
{
    private readonly HashSet<DateOnly> _holidays;

    public WorkingDayCalendar(IEnumerable<DateOnly> bankHolidays)
    {
        _holidays = [.. bankHolidays];
        FirstYear = _holidays.Count == 0 ? 0 : _holidays.Min().Year;
        LastYear = _holidays.Count == 0 ? 0 : _holidays.Max().Year;
    }

    /// <summary>The calendar shipped with the service: England and Wales, 2024 to 2030.</summary>
    public static WorkingDayCalendar EnglandAndWales { get; } = new(BankHolidays.Shipped());

    public int FirstYear { get; }
    public int LastYear { get; }

    public bool IsWorkingDay(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !_holidays.Contains(date);

    /// <summary>The working day <paramref name="days"/> working days after <paramref name="from"/> (0: <paramref name="from"/> itself).</summary>
    public DateOnly AddWorkingDays(DateOnly from, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var date = from;
        while (days > 0)
        {
            date = date.AddDays(1);
            if (IsWorkingDay(date))
            {
                days--;
            }
        }

        return date;
    }

    /// <summary>Working days after <paramref name="from"/> up to and including <paramref name="to"/>: same day is 0.</summary>
    public int WorkingDaysBetween(DateOnly from, DateOnly to)
    {
        if (to <= from)
        {
            return 0;
        }

        var count = 0;
        for (var date = from.AddDays(1); date <= to; date = date.AddDays(1))
        {
            if (IsWorkingDay(date))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>Bank holidays in GOV.UK's bank-holidays.json shape.</summary>
public static class BankHolidays
{
    public const string Division = "england-and-wales";

    public static IReadOnlyList<DateOnly> Shipped()
    {
        using var stream = typeof(BankHolidays).Assembly.GetManifestResourceStream("bank-holidays.json")
                           ?? throw new InvalidOperationException("bank-holidays.json is not embedded.");
        return Parse(stream);
    }

    /// <summary>Reads the England and Wales division of a GOV.UK bank-holidays.json document.</summary>
    public static IReadOnlyList<DateOnly> Parse(Stream json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty(Division, out var division) || !division.TryGetProperty("events", out var events))
        {
            throw new FormatException($"The bank holidays document has no '{Division}' division with events.");
        }

        return
        [
            .. events.EnumerateArray().Select(e => DateOnly.ParseExact(
                e.GetProperty("date").GetString() ?? throw new FormatException("A bank holiday has no date."),
                "yyyy-MM-dd",
                System.Globalization.CultureInfo.InvariantCulture)),
        ];
    }
}
