namespace ExpertsAtHand.Service.Hosting;

/// <summary>How every CSV export writes a cell.</summary>
public static class CsvCells
{
    /// <summary>
    /// A cell as CSV: quoted when it must be, and neutralised when a spreadsheet would run it as a
    /// formula (a leading =, +, -, @, tab or carriage return gets a leading apostrophe).
    /// </summary>
    public static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal)
            ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
            : value;
    }
}
