using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ExpertsAtHand.Infrastructure.Postgres;

/// <summary>The PostgreSQL server programs of one installed version (initdb and postgres).</summary>
public sealed partial record PostgresBinaries(string Directory, int MajorVersion)
{
    public const int MinimumMajorVersion = 15;

    public string InitDb => Path.Combine(Directory, "initdb");
    public string Server => Path.Combine(Directory, "postgres");

    /// <summary>
    /// Looks on PATH first, then in Debian's versioned folders, newest first.
    /// <paramref name="searchDirectories"/> replaces both, so tests can point at an empty folder.
    /// </summary>
    public static PostgresBinaries Locate(IReadOnlyList<string>? searchDirectories = null)
    {
        var candidates = searchDirectories ?? DefaultSearchDirectories();
        var tooOld = new List<string>();
        foreach (var directory in candidates)
        {
            if (!File.Exists(Path.Combine(directory, "initdb")) || !File.Exists(Path.Combine(directory, "postgres")))
            {
                continue;
            }

            var major = ReadMajorVersion(Path.Combine(directory, "postgres"));
            if (major >= MinimumMajorVersion)
            {
                return new PostgresBinaries(directory, major);
            }

            tooOld.Add($"{directory} (version {major})");
        }

        throw new PostgresBinariesNotFoundException(tooOld);
    }

    private static List<string> DefaultSearchDirectories()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var debian = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
            : [];
        return [.. onPath, .. debian];
    }

    private static int ReadMajorVersion(string serverPath)
    {
        using var process = Process.Start(new ProcessStartInfo(serverPath, "--version")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not run {serverPath}.");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var match = VersionPattern().Match(output);
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+)")]
    private static partial Regex VersionPattern();
}

/// <summary>No usable PostgreSQL server was found; the message says how to install one.</summary>
public sealed class PostgresBinariesNotFoundException : Exception
{
    public PostgresBinariesNotFoundException(IReadOnlyList<string> tooOld)
        : base(
            $"PostgreSQL {PostgresBinaries.MinimumMajorVersion}+ server programs (initdb, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin"
            + (tooOld.Count > 0 ? $" (too old: {string.Join(", ", tooOld)})" : string.Empty)
            + ": install them (Debian/Ubuntu: apt-get install postgresql) or set ConnectionStrings__Postgres to an existing server.")
    {
    }
}
