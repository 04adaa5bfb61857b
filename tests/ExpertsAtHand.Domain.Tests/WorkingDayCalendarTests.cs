using ExpertsAtHand.Domain.Calendar;

namespace ExpertsAtHand.Domain.Tests;

public sealed class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Calendar = WorkingDayCalendar.EnglandAndWales;

    [Fact]
    public void The_shipped_bank_holidays_follow_the_statutory_rules_for_every_year_2024_to_2030()
    {
        var shipped = BankHolidays.Shipped().ToHashSet();

        for (var year = 2024; year <= 2030; year++)
        {
            var expected = StatutoryBankHolidays(year);
            Assert.Equal(expected.Order(), shipped.Where(d => d.Year == year).Order());
        }

        Assert.Equal(2024, Calendar.FirstYear);
        Assert.Equal(2030, Calendar.LastYear);
    }

    [Fact]
    public void The_2026_to_2028_dates_are_the_published_ones_including_substitute_days()
    {
        var shipped = BankHolidays.Shipped();

        Assert.Contains(new DateOnly(2026, 12, 28), shipped);
        Assert.Contains(new DateOnly(2027, 12, 27), shipped);
        Assert.Contains(new DateOnly(2027, 12, 28), shipped);
        Assert.Contains(new DateOnly(2028, 1, 3), shipped);
        Assert.Contains(new DateOnly(2027, 3, 26), shipped);
        Assert.DoesNotContain(new DateOnly(2026, 12, 26), shipped);
    }

    [Fact]
    public void A_bank_holiday_weekend_counts_as_no_working_days()
    {
        // Friday 28 August 2026, then Saturday, Sunday and the summer bank holiday on Monday 31st.
        Assert.Equal(1, Calendar.WorkingDaysBetween(new DateOnly(2026, 8, 28), new DateOnly(2026, 9, 1)));
        Assert.Equal(new DateOnly(2026, 9, 1), Calendar.AddWorkingDays(new DateOnly(2026, 8, 28), 1));
        Assert.False(Calendar.IsWorkingDay(new DateOnly(2026, 8, 31)));
    }

    [Fact]
    public void Christmas_with_a_substitute_day_skips_to_the_next_working_day()
    {
        // Thursday 24 December 2026; 25th Friday, weekend, 28th substitute for Boxing Day.
        Assert.Equal(new DateOnly(2026, 12, 29), Calendar.AddWorkingDays(new DateOnly(2026, 12, 24), 1));
        Assert.Equal(0, Calendar.WorkingDaysBetween(new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 28)));
    }

    [Fact]
    public void Same_day_is_zero_working_days_and_adding_zero_stays_put()
    {
        var monday = new DateOnly(2026, 10, 5);

        Assert.Equal(0, Calendar.WorkingDaysBetween(monday, monday));
        Assert.Equal(monday, Calendar.AddWorkingDays(monday, 0));
        Assert.Equal(5, Calendar.WorkingDaysBetween(monday, monday.AddDays(7)));
    }

    [Fact]
    public void A_replacement_bank_holidays_file_in_the_govuk_shape_is_read()
    {
        const string json = """
            {"england-and-wales":{"division":"england-and-wales","events":[{"title":"Extra","date":"2026-10-07","notes":"","bunting":true}]},
             "scotland":{"division":"scotland","events":[{"title":"St Andrew","date":"2026-11-30","notes":"","bunting":true}]}}
            """;
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));

        var calendar = new WorkingDayCalendar(BankHolidays.Parse(stream));

        Assert.False(calendar.IsWorkingDay(new DateOnly(2026, 10, 7)));
        Assert.True(calendar.IsWorkingDay(new DateOnly(2026, 11, 30)));
    }

    /// <summary>An independent statement of the rules: fixed dates with substitutes, Easter by the Gregorian computus.</summary>
    private static List<DateOnly> StatutoryBankHolidays(int year)
    {
        var easter = EasterSunday(year);
        var days = new List<DateOnly>
        {
            NextWeekday(new DateOnly(year, 1, 1)),
            easter.AddDays(-2),
            easter.AddDays(1),
            FirstMonday(year, 5),
            LastMonday(year, 5),
            LastMonday(year, 8),
        };
        var christmas = new DateOnly(year, 12, 25);
        var boxing = new DateOnly(year, 12, 26);
        var christmasObserved = NextWeekday(christmas);
        var boxingObserved = NextWeekday(boxing);
        if (boxingObserved <= christmasObserved)
        {
            boxingObserved = NextWeekday(christmasObserved.AddDays(1));
        }

        days.Add(christmasObserved);
        days.Add(boxingObserved);
        return days;
    }

    private static DateOnly NextWeekday(DateOnly date)
    {
        while (date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            date = date.AddDays(1);
        }

        return date;
    }

    private static DateOnly FirstMonday(int year, int month)
    {
        var date = new DateOnly(year, month, 1);
        while (date.DayOfWeek != DayOfWeek.Monday)
        {
            date = date.AddDays(1);
        }

        return date;
    }

    private static DateOnly LastMonday(int year, int month)
    {
        var date = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        while (date.DayOfWeek != DayOfWeek.Monday)
        {
            date = date.AddDays(-1);
        }

        return date;
    }

    private static DateOnly EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = ((19 * a) + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        var m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, day);
    }
}
