using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>
/// The keys that seal children's details: one per child within a setting (found again by a keyed hash
/// of setting and reference, so the child's next request shares it), one per setting-level request.
/// Kept in <c>detail_keys</c> wrapped by the master key; unwrapped keys are cached in memory for
/// the node's commands and reads. Erasure deletes the row: from then on nothing can open what the key
/// sealed, and the request's own erasure event tells every node not to try.
/// </summary>
public sealed class DetailKeys(NpgsqlDataSource dataSource, IConfiguration configuration, RetentionRules retention, TimeProvider clock) : IDisposable
{
    private const string LookupSecretName = "child-lookup";
    private const int MaxCached = 100_000;

    // Kept a minute: another node's erasure reaches this one through the request's erasure event at
    // once, and through the key's absence within the minute for anything that reads keys alone.
    private static readonly long CacheMilliseconds = 60_000;
    private readonly ConcurrentDictionary<(string Tenant, Guid Id), (DataKey Key, long Until)> _cache = new();
    private readonly SemaphoreSlim _loading = new(1, 1);
    private MasterKeys? _master;
    private byte[]? _lookupSecret;

    /// <summary>
    /// The key for a new request's details: the child's (made on their first request), or one of the
    /// request's own; due for erasure when the area's retention rule says, from the day it was raised.
    /// </summary>
    public async Task<DataKey> ForNewRequestAsync(string tenant, string settingUrn, Domain.Requests.ChildDetails? child, DateOnly raisedOn, CancellationToken cancellationToken)
    {
        var master = await MasterAsync(cancellationToken).ConfigureAwait(false);
        var childReference = child?.Reference;
        var eraseDueOn = retention.For(tenant).EraseDetailsOn(child?.YearGroup, raisedOn);
        var lookup = childReference is null ? null : HMACSHA256.HashData(_lookupSecret!, Encoding.UTF8.GetBytes($"{tenant}\n{settingUrn}\n{childReference.Trim().ToUpperInvariant()}"));
        for (var attempt = 0; ; attempt++)
        {
            var id = Guid.CreateVersion7();
            var material = RandomNumberGenerator.GetBytes(32);
            // A key row is written before the events it seals and in its own statement: if the events are never
            // written the row is an orphan retention removes, never an event whose key was lost. Two first requests
            // for the same child at once meet on the unique lookup, and both take the key that won. The row is
            // written only under the master version the database says is current (a rotation holds that row
            // while it rewraps), so no key is ever wrapped by a version a rotation has retired.
            await using var command = dataSource.CreateCommand(
                "WITH master AS (SELECT master_version FROM protection_secrets WHERE name = $8 FOR SHARE) "
                + "INSERT INTO detail_keys (tenant_id, key_id, child_lookup, wrapped, master_version, erase_due_on, created_at) "
                + "SELECT $1, $2, $3, $4, $5, $6, $7 FROM master WHERE master.master_version = $5 "
                + "ON CONFLICT (tenant_id, child_lookup) WHERE child_lookup IS NOT NULL DO UPDATE SET erase_due_on = greatest(detail_keys.erase_due_on, EXCLUDED.erase_due_on) "
                + "RETURNING key_id, wrapped, master_version");
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)lookup ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = Wrap(master.Current, tenant, id, material) });
            command.Parameters.Add(new NpgsqlParameter { Value = master.CurrentVersion });
            command.Parameters.Add(new NpgsqlParameter { Value = eraseDueOn });
            command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = Unwrap(ref master, tenant, reader.GetGuid(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
                Remember(tenant, key);
                return key;
            }

            if (attempt > 0)
            {
                throw new MasterKeyException($"The database's master key version is not in {master.Path}: was the file replaced with an older copy?");
            }

            master = Reload(); // a rotation moved the master key on: take the new version from the file
        }
    }

    /// <summary>
    /// A secret of the service's own for one purpose (signing family feedback codes, …), derived from the
    /// service secret kept wrapped beside the children's keys: the same on every node, rotated with them.
    /// </summary>
    public async Task<byte[]> SecretForAsync(string purpose, CancellationToken cancellationToken)
    {
        await MasterAsync(cancellationToken).ConfigureAwait(false);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _lookupSecret!, 32, info: Encoding.UTF8.GetBytes($"eah:{purpose}"));
    }

    /// <summary>Reads (or makes) the master key now, so a node that could not seal or open details never starts serving.</summary>
    public Task EnsureReadyAsync(CancellationToken cancellationToken) => MasterAsync(cancellationToken);

    /// <summary>The keys among <paramref name="ids"/> that still exist.</summary>
    public async Task<KeyRing> RingAsync(string tenant, IEnumerable<Guid> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.Distinct().ToList();
        var found = new List<DataKey>();
        var missing = new List<Guid>();
        foreach (var id in wanted)
        {
            if (_cache.TryGetValue((tenant, id), out var cached) && cached.Until > Environment.TickCount64)
            {
                found.Add(cached.Key);
            }
            else
            {
                missing.Add(id);
            }
        }

        if (missing.Count > 0)
        {
            var master = await MasterAsync(cancellationToken).ConfigureAwait(false);
            await using var command = dataSource.CreateCommand("SELECT key_id, wrapped, master_version FROM detail_keys WHERE tenant_id = $1 AND key_id = ANY($2)");
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = missing.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = Unwrap(ref master, tenant, reader.GetGuid(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
                Remember(tenant, key);
                found.Add(key);
            }
        }

        return new KeyRing(found);
    }

    /// <summary>
    /// A request's events as people read them: sealed fields opened with the request's key, or marked
    /// erased once the request records its erasure (whatever any node still holds in memory).
    /// </summary>
    public async Task<IReadOnlyList<object>> OpenAsync(string tenant, IReadOnlyList<object> events, CancellationToken cancellationToken) =>
        RequestDetailSealing.Open(events, (await RequestKeyAsync(tenant, events, cancellationToken).ConfigureAwait(false)).Ring);

    /// <summary>
    /// The key a request's events are sealed with (null: raised before sealing, or erased — it then
    /// records only what holds no text) and the ring its events open with: one read for a command.
    /// </summary>
    public async Task<(DataKey? Key, KeyRing Ring)> RequestKeyAsync(string tenant, IReadOnlyList<object> events, CancellationToken cancellationToken)
    {
        if (events.OfType<Domain.Requests.RequestDetailsErased>().Any() || RequestDetailSealing.KeyOf(events) is not { } id)
        {
            return (null, KeyRing.Empty);
        }

        var ring = await RingAsync(tenant, [id], cancellationToken).ConfigureAwait(false);
        return (ring.Find(id) ?? throw new InvalidOperationException($"The key {id} sealing a request is missing though the request records no erasure."), ring);
    }

    /// <summary>Drops this node's copy of an erased key.</summary>
    public void Forget(string tenant, Guid id) => _cache.TryRemove((tenant, id), out _);

    /// <summary>
    /// Adds a master key version, rewraps every child's key and the service's secrets with it in one
    /// transaction, then forgets the old versions. Returns how many keys were rewrapped.
    /// </summary>
    public async Task<int> RotateAsync(CancellationToken cancellationToken)
    {
        var master = await MasterAsync(cancellationToken).ConfigureAwait(false);
        var version = master.AddVersion(); // on file first: running nodes find it there as soon as the database names it
        var rewrapped = 0;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            // Holding the master row waits for keys being written under the old version, and holds back new ones until the commit.
            await using (var hold = new NpgsqlCommand("SELECT master_version FROM protection_secrets WHERE name = $1 FOR UPDATE", connection, transaction))
            {
                hold.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
                await hold.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }

            var rows = new List<(string Tenant, Guid Id, byte[] Wrapped, int Version)>();
            await using (var read = new NpgsqlCommand("SELECT tenant_id, key_id, wrapped, master_version FROM detail_keys WHERE master_version <> $1 FOR UPDATE", connection, transaction))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = version });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((reader.GetString(0), reader.GetGuid(1), reader.GetFieldValue<byte[]>(2), reader.GetInt32(3)));
                }
            }

            foreach (var row in rows)
            {
                var key = Unwrap(ref master, row.Tenant, row.Id, row.Wrapped, row.Version);
                await using var write = new NpgsqlCommand("UPDATE detail_keys SET wrapped = $3, master_version = $4 WHERE tenant_id = $1 AND key_id = $2", connection, transaction);
                write.Parameters.Add(new NpgsqlParameter { Value = row.Tenant });
                write.Parameters.Add(new NpgsqlParameter { Value = row.Id });
                write.Parameters.Add(new NpgsqlParameter { Value = Wrap(master.Current, row.Tenant, row.Id, key.Material) });
                write.Parameters.Add(new NpgsqlParameter { Value = version });
                await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                rewrapped++;
            }

            await using (var secret = new NpgsqlCommand("UPDATE protection_secrets SET wrapped = $2, master_version = $3 WHERE name = $1", connection, transaction))
            {
                secret.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
                secret.Parameters.Add(new NpgsqlParameter { Value = Wrap(master.Current, string.Empty, Guid.Empty, _lookupSecret!) });
                secret.Parameters.Add(new NpgsqlParameter { Value = version });
                await secret.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        master.KeepOnlyCurrent(); // only now: until the commit, the old version is what opens the keys
        return rewrapped;
    }

    /// <summary>The master keys and the lookup secret, read (or, on a database that never wrapped a key, made) on first use.</summary>
    private async Task<MasterKeys> MasterAsync(CancellationToken cancellationToken)
    {
        if (_master is { } ready)
        {
            return ready;
        }

        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_master is not null)
            {
                return _master;
            }

            var path = MasterKeys.PathFrom(configuration, configuration["Protection:EmbeddedDataDirectory"]);
            byte[]? wrappedSecret = null;
            var secretVersion = 0;
            await using (var command = dataSource.CreateCommand("SELECT wrapped, master_version FROM protection_secrets WHERE name = $1"))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    wrappedSecret = reader.GetFieldValue<byte[]>(0);
                    secretVersion = reader.GetInt32(1);
                }
            }

            var master = MasterKeys.Load(path, mayCreate: wrappedSecret is null);
            if (wrappedSecret is null)
            {
                var secret = RandomNumberGenerator.GetBytes(32);
                await using var insert = dataSource.CreateCommand("INSERT INTO protection_secrets (name, wrapped, master_version) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING");
                insert.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
                insert.Parameters.Add(new NpgsqlParameter { Value = Wrap(master.Current, string.Empty, Guid.Empty, secret) });
                insert.Parameters.Add(new NpgsqlParameter { Value = master.CurrentVersion });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                // Another node may have won the insert: read back whichever secret is stored.
                await using var read = dataSource.CreateCommand("SELECT wrapped, master_version FROM protection_secrets WHERE name = $1");
                read.Parameters.Add(new NpgsqlParameter { Value = LookupSecretName });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                wrappedSecret = reader.GetFieldValue<byte[]>(0);
                secretVersion = reader.GetInt32(1);
            }

            _lookupSecret = Unwrap(ref master, string.Empty, Guid.Empty, wrappedSecret, secretVersion).Material;
            _master = master;
            return master;
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Dispose() => _loading.Dispose();

    private void Remember(string tenant, DataKey key)
    {
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear(); // a crude bound: the next reads fetch what they need again
        }

        _cache[(tenant, key.Id)] = (key, Environment.TickCount64 + CacheMilliseconds);
    }

    private static byte[] Wrap(byte[] master, string tenant, Guid id, byte[] material)
    {
        var wrapped = new byte[12 + material.Length + 16];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
        using var aes = new AesGcm(master, 16);
        aes.Encrypt(wrapped.AsSpan(0, 12), material, wrapped.AsSpan(12, material.Length), wrapped.AsSpan(12 + material.Length), WrapContext(tenant, id));
        return wrapped;
    }

    /// <summary>Unwraps with the version named; one this node has not seen yet is read from the file (a rotation elsewhere).</summary>
    private DataKey Unwrap(ref MasterKeys master, string tenant, Guid id, byte[] wrapped, int version)
    {
        if (master.Version(version) is null)
        {
            master = Reload();
        }

        var key = master.Version(version)
            ?? throw new MasterKeyException($"A key is wrapped by master key version {version}, which the master key file {master.Path} does not hold. Restore the file from its backup.");
        var material = new byte[wrapped.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(wrapped.AsSpan(0, 12), wrapped.AsSpan(12, material.Length), wrapped.AsSpan(12 + material.Length), material, WrapContext(tenant, id));
        return new DataKey(id, material);
    }

    private MasterKeys Reload()
    {
        var reloaded = MasterKeys.Load(_master?.Path ?? MasterKeys.PathFrom(configuration, configuration["Protection:EmbeddedDataDirectory"]), mayCreate: false);
        _master = reloaded;
        return reloaded;
    }

    // A wrapped key copied to another area or another key's row does not unwrap.
    private static byte[] WrapContext(string tenant, Guid id) => Encoding.UTF8.GetBytes($"eah-key:{tenant}:{id:N}");
}
