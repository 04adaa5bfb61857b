using System.Security.Cryptography;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// The master keys that wrap every child's key, read from one file (Protection:MasterKeyFile; on the
/// embedded database, beside its data folder). Each line is a version and a base64 key; the highest
/// version wraps new keys, and <c>keys rotate</c> adds a version, rewraps everything with it and
/// drops the rest. The file is made (readable only by the service's account) when the service first
/// needs it and no key was ever wrapped; a missing file over a database holding wrapped keys stops the
/// service, because a new master key could never open them.
/// </summary>
public sealed class MasterKeys
{
    private readonly SortedDictionary<int, byte[]> _keys;

    private MasterKeys(string path, SortedDictionary<int, byte[]> keys)
    {
        Path = path;
        _keys = keys;
    }

    public string Path { get; }

    public int CurrentVersion => _keys.Keys.Max();

    public byte[] Current => _keys[CurrentVersion];

    public byte[]? Version(int version) => _keys.GetValueOrDefault(version);

    public IReadOnlyCollection<int> Versions => _keys.Keys;

    /// <summary>Where the master key file is: configured, or beside the embedded data folder.</summary>
    public static string PathFrom(IConfiguration configuration, string? embeddedDataDirectory) =>
        configuration["Protection:MasterKeyFile"] is { Length: > 0 } configured
            ? System.IO.Path.GetFullPath(configured)
            : embeddedDataDirectory is { } data
                ? System.IO.Path.GetFullPath(data).TrimEnd(System.IO.Path.DirectorySeparatorChar) + ".master-key"
                : throw new MasterKeyException(
                    "Children's details are sealed with keys wrapped by a master key: set Protection__MasterKeyFile to a file only the service's account can read (it is created if it does not exist), and back it up apart from the database.");

    /// <summary>Reads the file, or makes it with one new key when <paramref name="mayCreate"/> (no key was ever wrapped).</summary>
    public static MasterKeys Load(string path, bool mayCreate)
    {
        if (!File.Exists(path))
        {
            if (!mayCreate)
            {
                throw new MasterKeyException(
                    $"The master key file {path} is missing, but the database holds children's keys wrapped by it. Restore the file from its backup; a new master key cannot open them.");
            }

            var created = new MasterKeys(path, new SortedDictionary<int, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) });
            created.Save();
            return created;
        }

        var keys = new SortedDictionary<int, byte[]>();
        foreach (var line in File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !int.TryParse(parts[0], out var version) || version < 1 || !TryKey(parts[1], out var key))
            {
                throw new MasterKeyException($"The master key file {path} has a line that is not '<version> <32-byte key in base64>'.");
            }

            keys[version] = key;
        }

        return keys.Count == 0 ? throw new MasterKeyException($"The master key file {path} holds no key.") : new MasterKeys(path, keys);
    }

    /// <summary>A new master key version, written to the file beside the others (they stay until everything is rewrapped).</summary>
    public int AddVersion()
    {
        var version = CurrentVersion + 1;
        _keys[version] = RandomNumberGenerator.GetBytes(32);
        Save();
        return version;
    }

    /// <summary>Forgets every version but the current one, once nothing is wrapped by them.</summary>
    public void KeepOnlyCurrent()
    {
        foreach (var old in _keys.Keys.Where(v => v != CurrentVersion).ToList())
        {
            _keys.Remove(old);
        }

        Save();
    }

    private void Save()
    {
        var text = "# Experts at Hand master keys: version and key. Back this file up apart from the database; without it no child's details can be read.\n"
            + string.Concat(_keys.Select(k => $"{k.Key} {Convert.ToBase64String(k.Value)}\n"));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".new";
        File.WriteAllText(temporary, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(temporary, text);
        File.Move(temporary, Path, overwrite: true); // a crash leaves the old file or the new one, never half of one
    }

    private static bool TryKey(string text, out byte[] key)
    {
        key = [];
        try
        {
            key = Convert.FromBase64String(text);
            return key.Length == 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>The master key cannot be had: its file is not configured, missing over existing keys, or unreadable.</summary>
public sealed class MasterKeyException(string message) : Exception(message);
