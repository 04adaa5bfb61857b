using Wolverine.Persistence.Durability;
using Wolverine.Persistence.Durability.DeadLetterManagement;
using Wolverine.Runtime;

namespace ExpertsAtHand.Service.Features.Admin;

/// <summary>A message Wolverine gave up on, as an administrator of its area sees it.</summary>
public sealed record DeadLetter(Guid Id, string TenantId, string MessageType, int Attempts, string Error, string ExceptionType, DateTimeOffset CreatedAt, DateTimeOffset FailedAt);

/// <summary>
/// Wolverine's dead-letter storage, one area at a time. Its table has no tenant column, so each
/// letter's area is read from its envelope, and a letter of another area is as good as absent.
/// Used by the admin endpoints and the dead-letters verb alike.
/// </summary>
public sealed class DeadLetterBox(IWolverineRuntime runtime)
{
    private IDeadLetters Letters => runtime.Storage.DeadLetters;

    /// <param name="tenant">Null: every area (the command line, for the operator).</param>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string? tenant, int limit, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        for (var page = 0; letters.Count < limit; page++)
        {
            var results = await Letters.QueryAsync(new DeadLetterEnvelopeQuery { PageNumber = page, PageSize = 200 }, cancellationToken).ConfigureAwait(false);
            letters.AddRange(results.Envelopes.Where(e => tenant is null || e.Envelope.TenantId == tenant).Select(Describe));
            if (results.Envelopes.Count < 200)
            {
                break;
            }
        }

        return [.. letters.OrderByDescending(l => l.FailedAt).Take(limit)];
    }

    /// <summary>Marks the letter for replay (Wolverine's durability agent puts it back in its queue); false if it is not there for this area.</summary>
    public async Task<bool> ReplayAsync(Guid id, string? tenant, CancellationToken cancellationToken)
    {
        if (!await IsThereAsync(id, tenant).ConfigureAwait(false))
        {
            return false;
        }

        await Letters.ReplayAsync(new DeadLetterEnvelopeQuery([id]), cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> DiscardAsync(Guid id, string? tenant, CancellationToken cancellationToken)
    {
        if (!await IsThereAsync(id, tenant).ConfigureAwait(false))
        {
            return false;
        }

        await Letters.DiscardAsync(new DeadLetterEnvelopeQuery([id]), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> IsThereAsync(Guid id, string? tenant) =>
        await Letters.DeadLetterEnvelopeByIdAsync(id).ConfigureAwait(false) is { } letter && (tenant is null || letter.Envelope.TenantId == tenant);

    private static DeadLetter Describe(DeadLetterEnvelope letter) => new(
        letter.Id,
        letter.Envelope.TenantId ?? string.Empty,
        letter.MessageType,
        letter.Envelope.Attempts,
        letter.ExceptionMessage,
        letter.ExceptionType,
        letter.Envelope.SentAt,
        letter.SentAt);
}
