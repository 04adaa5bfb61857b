using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Features.Requests;
using Marten;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Privacy;

/// <summary>What an erasure did, or why it did nothing.</summary>
public abstract record ErasureResult
{
    /// <param name="Requests">How many requests the child's key sealed (all are erased together).</param>
    public sealed record Erased(Guid KeyId, int Requests, DateTimeOffset At) : ErasureResult;

    public sealed record NotFound : ErasureResult;

    public sealed record Refused(string Reason) : ErasureResult;

    /// <summary>One of the child's requests changed while it was being erased: nothing was erased; try again.</summary>
    public sealed record Stale : ErasureResult;
}

/// <summary>
/// Erases a child's details by destroying their key: every request the key sealed records its
/// erasure, the key row is deleted, and stored answers to repeated creates that could still hold the
/// plain text are forgotten — all in one transaction. The events stay whole, so every count, clock
/// and report (and any rebuild or as-of answer) stays as it was.
/// </summary>
public sealed class DetailErasure(IDocumentStore store, NpgsqlDataSource dataSource, DetailKeys keys, RequestRulesCatalog rules, TimeProvider clock)
{
    /// <summary>Erases the details of the child a request is about (or of the setting-level request itself).</summary>
    public async Task<ErasureResult> EraseRequestAsync(string tenant, Guid requestId, ErasureGrounds grounds, string actor, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession(tenant);
        var events = await session.Events.FetchStreamAsync(requestId, token: cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
        {
            return new ErasureResult.NotFound();
        }

        return RequestDetailSealing.KeyOf(events.Select(e => e.Data)) is { } keyId
            ? await EraseKeyAsync(tenant, keyId, grounds, actor, cancellationToken).ConfigureAwait(false)
            : new ErasureResult.Refused("This request was raised before details were sealed and has not been sealed since: run the service's migrate verb, which seals it, then erase it.");
    }

    /// <summary>Destroys one key and records the erasure on every request it sealed; refused while any of them is open.</summary>
    public async Task<ErasureResult> EraseKeyAsync(string tenant, Guid keyId, ErasureGrounds grounds, string actor, CancellationToken cancellationToken)
    {
        var requestIds = await RequestsSealedByAsync(tenant, keyId, cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        await using var session = store.OpenFor(tenant, actor);
        var erased = 0;
        foreach (var id in requestIds)
        {
            var (events, version) = await session.ReadStreamAsync(id, cancellationToken).ConfigureAwait(false);
            var state = RequestDecider.Fold(events.Select(e => e.Data));
            if (state.DetailsErased)
            {
                continue;
            }

            var decision = RequestDecider.Decide(new EraseRequestDetails(grounds, actor, now), state, rules.For(tenant));
            if (decision.IsRejected)
            {
                var reference = events.Select(e => e.Data).OfType<RequestRaised>().First().Reference ?? id.ToString();
                return new ErasureResult.Refused(requestIds.Count == 1
                    ? decision.Rejection!
                    : $"The child has another request still open ({reference}): {decision.Rejection}");
            }

            session.AppendAfter(id, version, decision.Events);
            erased++;
        }

        if (erased == 0 && requestIds.Count > 0)
        {
            return new ErasureResult.Refused("This child's details have already been erased.");
        }

        session.QueueSqlCommand("DELETE FROM detail_keys WHERE tenant_id = ? AND key_id = ?", tenant, keyId);
        session.QueueSqlCommand(
            "INSERT INTO erasures (tenant_id, key_id, requests, grounds, erased_by, erased_at) VALUES (?, ?, ?, ?, ?, ?)",
            tenant, keyId, requestIds.Count, grounds.ToString(), actor, now);
        // A create's stored answer (kept a day for a client whose answer was lost) holds the details in plain text.
        session.QueueSqlCommand(
            "DELETE FROM idempotency_keys WHERE tenant_id = ? AND location = ANY(?)",
            tenant, requestIds.Select(id => $"/api/requests/{id}").ToArray());
        try
        {
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception conflict) when (AreaSessions.IsConflict(conflict))
        {
            return new ErasureResult.Stale();
        }

        keys.Forget(tenant, keyId);
        return new ErasureResult.Erased(keyId, requestIds.Count, now);
    }

    private async Task<List<Guid>> RequestsSealedByAsync(string tenant, Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT request_id FROM rm_requests WHERE tenant_id = $1 AND details_key = $2 ORDER BY raised_at");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}
