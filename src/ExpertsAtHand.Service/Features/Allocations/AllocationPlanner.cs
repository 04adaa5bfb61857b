using ExpertsAtHand.Domain.Allocation;
using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Domain.Settings;
using ExpertsAtHand.Service.Features.Requests;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Allocations;

/// <summary>One accepted discipline of one request, still without a practitioner.</summary>
public sealed record DemandFor(Guid RequestId, Discipline Discipline);

public sealed record Plan(AllocationResult Result, IReadOnlyDictionary<Guid, DemandFor> DemandIds, IReadOnlyDictionary<Guid, Demand> Demand, IReadOnlyDictionary<string, SettingUse> Use)
{
    /// <summary>The engine's proposal now for one discipline of one request; null when it would not allocate it now.</summary>
    public Proposal? SuggestionFor(Guid requestId, Discipline discipline)
    {
        var id = AllocationPlanner.DemandId(requestId, discipline);
        return Result.Proposals.FirstOrDefault(p => p.RequestId == id);
    }
}

/// <summary>
/// Gathers what the allocation engine decides from, for one local area now: accepted requests
/// still needing a practitioner per discipline, this week's free practitioner hours, and each
/// setting's use of its share this academic year against its pro-rata entitlement.
/// </summary>
public sealed class AllocationPlanner(NpgsqlDataSource dataSource, RequestRulesCatalog rules, EntitlementCatalog entitlements, TimeProvider clock)
{
    public async Task<Plan> PlanAsync(string tenant, CancellationToken cancellationToken)
    {
        var area = rules.For(tenant);
        var now = clock.GetUtcNow();
        var today = area.LocalDate(now);
        var weekStart = area.StartOf(today.AddDays(-(((int)today.DayOfWeek + 6) % 7)));
        var yearStart = new DateOnly(EntitlementFormula.AcademicYear(today), 9, 1);

        var demandIds = new Dictionary<Guid, DemandFor>();
        var demand = new Dictionary<Guid, Demand>();
        await using (var command = dataSource.CreateCommand(
            "SELECT r.request_id, d.discipline, r.setting_urn, s.locality, coalesce(r.priority, r.urgency), r.first_contact_due_by, r.support_type, r.updated_at "
            + "FROM rm_requests r JOIN rm_settings s ON s.tenant_id = r.tenant_id AND s.urn = r.setting_urn "
            + "CROSS JOIN LATERAL unnest(r.disciplines) AS d(discipline) "
            + "WHERE r.tenant_id = $1 AND r.status IN ('AwaitingAllocation', 'Allocated', 'InProgress') "
            + "AND NOT EXISTS (SELECT 1 FROM rm_allocations a WHERE a.tenant_id = r.tenant_id AND a.request_id = r.request_id AND a.discipline = d.discipline AND a.active)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var requestId = reader.GetGuid(0);
                var discipline = Enum.Parse<Discipline>(reader.GetString(1));
                var due = reader.IsDBNull(5) ? today : reader.GetFieldValue<DateOnly>(5);
                var slack = EngineInputs.SlackWorkingDays(due, today, area.Calendar);
                var support = reader.IsDBNull(6) ? SupportType.Consultation : Enum.Parse<SupportType>(reader.GetString(6));
                var id = DemandId(requestId, discipline);
                demandIds[id] = new DemandFor(requestId, discipline);
                demand[id] = new Demand(id, reader.GetString(2), reader.GetString(3), discipline, Enum.Parse<Priority>(reader.GetString(4)), slack, AllocationHours.For(support), reader.GetFieldValue<DateTimeOffset>(7));
            }
        }

        // This week's working days, and for each practitioner the ones they are away: their weekly
        // hours shrink in proportion, and what is already allocated this week comes off.
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var workingDays = Enumerable.Range(0, 5).Select(monday.AddDays).Where(area.Calendar.IsWorkingDay).ToList();
        var away = new Dictionary<string, List<(DateOnly From, DateOnly To)>>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand(
            "SELECT practitioner_id, from_date, to_date FROM rm_practitioner_absences WHERE tenant_id = $1 AND to_date >= $2 AND from_date <= $3"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = monday });
            command.Parameters.Add(new NpgsqlParameter { Value = monday.AddDays(4) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!away.TryGetValue(reader.GetString(0), out var spans))
                {
                    away[reader.GetString(0)] = spans = [];
                }

                spans.Add((reader.GetFieldValue<DateOnly>(1), reader.GetFieldValue<DateOnly>(2)));
            }
        }

        var capacity = new List<Capacity>();
        await using (var command = dataSource.CreateCommand(
            "SELECT p.practitioner_id, p.discipline, p.localities, p.weekly_capacity_hours, coalesce((SELECT sum(" + AllocationTime.HeldHours + ") FROM rm_allocations a "
            + "WHERE a.tenant_id = p.tenant_id AND a.practitioner_id = p.practitioner_id AND a.allocated_at >= $2), 0) "
            + "+ coalesce((SELECT sum(c.hours) FROM rm_clinics c WHERE c.tenant_id = p.tenant_id AND c.practitioner_id = p.practitioner_id AND c.clinic_date BETWEEN $3 AND $4), 0) "
            + "FROM rm_practitioners p WHERE p.tenant_id = $1 AND p.active"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = weekStart });
            command.Parameters.Add(new NpgsqlParameter { Value = monday });
            command.Parameters.Add(new NpgsqlParameter { Value = monday.AddDays(6) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var spans = away.GetValueOrDefault(reader.GetString(0)) ?? [];
                var present = workingDays.Count(day => !spans.Any(span => span.From <= day && day <= span.To));
                capacity.Add(new Capacity(reader.GetString(0), Enum.Parse<Discipline>(reader.GetString(1)), reader.GetFieldValue<string[]>(2).ToHashSet(StringComparer.Ordinal), EngineInputs.FreeHours(reader.GetDecimal(3), present, workingDays.Count, reader.GetDecimal(4))));
            }
        }

        var use = new Dictionary<string, SettingUse>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand(
            "SELECT s.urn, s.name, s.phase, s.locality, s.in_area, s.number_on_roll, s.percent_fsm, s.percent_sen_support, s.percent_ehcp, s.postcode, s.open, "
            + "coalesce((SELECT sum(" + AllocationTime.HeldHours + ") FROM rm_allocations a WHERE a.tenant_id = s.tenant_id AND a.setting_urn = s.urn AND a.allocated_at >= $2), 0) "
            + "+ coalesce((SELECT sum(c.hours) FROM rm_clinic_attendance c WHERE c.tenant_id = s.tenant_id AND c.setting_urn = s.urn AND c.clinic_date >= $4), 0), "
            + "(SELECT e.annual_hours FROM rm_entitlements e WHERE e.tenant_id = s.tenant_id AND e.urn = s.urn AND e.academic_year = $3) "
            + "FROM rm_settings s WHERE s.tenant_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = area.StartOf(yearStart) });
            command.Parameters.Add(new NpgsqlParameter { Value = yearStart.Year });
            command.Parameters.Add(new NpgsqlParameter { Value = yearStart });
            var formula = entitlements.For(tenant);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var details = new SettingDetails(reader.GetString(1), Enum.Parse<Phase>(reader.GetString(2)), reader.GetString(3), reader.GetBoolean(4), reader.GetInt32(5), reader.GetDecimal(6), reader.GetDecimal(7), reader.GetDecimal(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetBoolean(10));
                // The year's recorded entitlement; a setting not re-imported since September is reckoned by the formula.
                var annual = reader.IsDBNull(12) ? formula.AnnualHours(details) : reader.GetDecimal(12);
                use[reader.GetString(0)] = new SettingUse(reader.GetDecimal(11), EngineInputs.ProRataEntitlement(annual, today));
            }
        }

        return new Plan(AllocationEngine.Propose([.. demand.Values], capacity, use), demandIds, demand, use);
    }

    /// <summary>What would rank this demand now, for a recorded override (rank 0: not the engine's choice).</summary>
    public static RankingInputs InputsFor(Plan plan, Guid requestId, Discipline discipline, decimal hours)
    {
        var id = DemandId(requestId, discipline);
        var demand = plan.Demand.GetValueOrDefault(id);
        var use = demand is not null ? plan.Use.GetValueOrDefault(demand.SettingUrn) : null;
        var used = use?.UsedHours ?? 0;
        var entitlement = use?.EntitlementHours ?? 0;
        return new RankingInputs(0, demand?.Priority ?? Priority.Routine, demand?.SlackWorkingDays ?? 0, used, entitlement, entitlement <= 0 ? 0 : Math.Round(used / entitlement, 3), used + hours > entitlement);
    }

    /// <summary>A stable id for one discipline of one request (the engine ranks demand, not requests).</summary>
    public static Guid DemandId(Guid requestId, Discipline discipline) => Infrastructure.StreamId.For("demand", $"{requestId}/{discipline}");
}
