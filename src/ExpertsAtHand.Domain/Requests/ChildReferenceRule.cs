using System.Globalization;
using System.Text.RegularExpressions;

namespace ExpertsAtHand.Domain.Requests;

/// <summary>
/// What a pseudonymous child reference may look like in a local area. A reference is stored in an
/// event for ever, so the check refuses what would identify a child: anything that reads as a date
/// (a date of birth) and long runs of letters (a name). It cannot tell a pseudonym from initials or
/// a number the setting also uses elsewhere (a UPN fragment, an admission number): those stay the
/// setting's responsibility.
/// </summary>
public sealed class ChildReferenceRule
{
    public static readonly ChildReferenceRule Default = new(
        "^(?=.*[0-9])[A-Za-z0-9-]{3,20}$",
        "3 to 20 letters, digits or hyphens with at least one digit, such as Y3-0042",
        maxLetterRun: 3);

    private readonly Regex _pattern;
    private readonly int _maxLetterRun;

    public ChildReferenceRule(string pattern, string description, int maxLetterRun)
    {
        _pattern = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        Description = description;
        _maxLetterRun = maxLetterRun;
    }

    /// <summary>The shape a reference should have, in words, for the 400 that refuses one.</summary>
    public string Description { get; }

    /// <summary>Why the reference is refused, or null when it is acceptable.</summary>
    public string? Refuse(string reference)
    {
        var advice = $"Use the setting's own pseudonymous reference ({Description}), never the child's name or date of birth.";
        if (!_pattern.IsMatch(reference))
        {
            return advice;
        }

        if (LooksLikeADate(reference))
        {
            return $"This looks like a date, which could be the child's date of birth. {advice}";
        }

        return LongestLetterRun(reference) > _maxLetterRun
            ? $"This has a run of more than {_maxLetterRun} letters, which could be the child's name. {advice}"
            : null;
    }

    private static int LongestLetterRun(string value)
    {
        int longest = 0, run = 0;
        foreach (var c in value)
        {
            run = char.IsLetter(c) ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }

    /// <summary>
    /// Any part of the digits (separators ignored) that reads as a day, month and year of the
    /// last century or so: yyyyMMdd, ddMMyyyy and ddMMyy (2014-03-14, 14-03-2015, 20150314, 140315).
    /// </summary>
    private static bool LooksLikeADate(string value)
    {
        foreach (var run in Regex.Split(value, "[^0-9-]+", RegexOptions.None, TimeSpan.FromMilliseconds(100)))
        {
            var digits = run.Replace("-", string.Empty, StringComparison.Ordinal);
            for (var start = 0; start < digits.Length; start++)
            {
                if (start + 8 <= digits.Length && (IsDate(digits.Substring(start, 8), "yyyyMMdd") || IsDate(digits.Substring(start, 8), "ddMMyyyy")))
                {
                    return true;
                }

                if (start + 6 <= digits.Length && IsDate(digits.Substring(start, 6), "ddMMyy"))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsDate(string digits, string format) =>
        DateOnly.TryParseExact(digits, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year is >= 1940 and <= 2079;
}
