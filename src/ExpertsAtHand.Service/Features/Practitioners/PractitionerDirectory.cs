using ExpertsAtHand.Domain.Practitioners;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.EventLog;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Practitioners;

/// <summary>An absence with whose it is, for the coordinator's list (the reason stays in the practitioner's history).</summary>
public sealed record AbsenceListing(Guid AbsenceId, string PractitionerId, string Name, Discipline Discipline, DateOnly From, DateOnly To);

/// <summary>The area's practitioners and their absences, read from the projections, and recording an absence. The API and the pages both come here.</summary>
public sealed class PractitionerDirectory(Marten.IDocumentStore store, NpgsqlDataSource dataSource)
{
    private const string Columns = "practitioner_id, version, name, discipline, provider, localities, weekly_capacity_hours, active";

    public async Task<IReadOnlyList<PractitionerView>> ListAsync(string tenant, Discipline? discipline, string? locality, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM rm_practitioners WHERE tenant_id = $1 AND ($2::text IS NULL OR discipline = $2) AND ($3::text IS NULL OR $3 = ANY(localities)) ORDER BY discipline, name");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)discipline?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)locality ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var views = new List<PractitionerView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            views.Add(Read(reader));
        }

        return views;
    }

    public async Task<PractitionerView?> ReadAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM rm_practitioners WHERE tenant_id = $1 AND practitioner_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>The practitioner's discipline, if they exist and are active in the area (allocation and clinics check this).</summary>
    public async Task<Discipline?> ActiveDisciplineAsync(string tenant, string id, CancellationToken cancellationToken) =>
        await ReadAsync(tenant, id, cancellationToken).ConfigureAwait(false) is { Active: true } view ? view.Discipline : null;

    /// <summary>Absences that end on or after <paramref name="from"/>, soonest first.</summary>
    public async Task<IReadOnlyList<AbsenceListing>> AbsencesAsync(string tenant, DateOnly from, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT a.absence_id, a.practitioner_id, p.name, p.discipline, a.from_date, a.to_date FROM rm_practitioner_absences a "
            + "JOIN rm_practitioners p ON p.tenant_id = a.tenant_id AND p.practitioner_id = a.practitioner_id "
            + "WHERE a.tenant_id = $1 AND a.to_date >= $2 ORDER BY a.from_date, p.name");
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        var absences = new List<AbsenceListing>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            absences.Add(new AbsenceListing(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), Enum.Parse<Discipline>(reader.GetString(3)), reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateOnly>(5)));
        }

        return absences;
    }

    /// <summary>
    /// Records the absence once: a retry with the same id whose first attempt was recorded but never
    /// answered returns what was recorded. An absence only adds to the stream, so it never conflicts.
    /// </summary>
    public async Task<AbsenceView> RecordAbsenceAsync(Caller caller, string id, Guid absenceId, AbsenceBody body, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var absence = new PractitionerAbsenceRecorded(id, absenceId, body.From!.Value, body.To!.Value, body.Reason!, caller.Actor, at);
        await using var session = store.OpenFor(caller.Tenant, caller.Actor);
        var stream = Infrastructure.StreamId.For(PractitionerDecider.StreamType, id);
        var (events, _) = await session.ReadStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        if (events.Select(e => e.Data).OfType<PractitionerAbsenceRecorded>().FirstOrDefault(a => a.AbsenceId == absence.AbsenceId) is { } recorded)
        {
            return new AbsenceView(recorded.AbsenceId, recorded.From, recorded.To);
        }

        session.AppendAnyway(stream, absence);
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new AbsenceView(absence.AbsenceId, absence.From, absence.To);
    }

    private static PractitionerView Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1),
        reader.GetString(2),
        Enum.Parse<Discipline>(reader.GetString(3)),
        Enum.Parse<ProviderOrganisation>(reader.GetString(4)),
        reader.GetFieldValue<string[]>(5),
        reader.GetDecimal(6),
        reader.GetBoolean(7));
}
