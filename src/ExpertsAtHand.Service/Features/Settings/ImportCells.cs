using CsvHelper;

namespace ExpertsAtHand.Service.Features.Settings;

/// <summary>What every imported row is checked for before its fields are read.</summary>
public static class ImportCells
{
    /// <summary>One error per cell holding a control character (a NUL byte cannot be stored), named by its column.</summary>
    public static List<ImportRowError> WithControlCharacters(CsvReader csv, int line)
    {
        var errors = new List<ImportRowError>();
        var record = csv.Parser.Record ?? [];
        for (var i = 0; i < record.Length; i++)
        {
            if (Hosting.ControlCharacters.In(record[i], allowLineBreaks: false))
            {
                var column = csv.HeaderRecord is { } header && i < header.Length ? header[i] : $"column {i + 1}";
                errors.Add(new ImportRowError(line, column, Hosting.ControlCharacters.Message));
            }
        }

        return errors;
    }
}
