namespace ExpertsAtHand.Domain.Settings;

public enum Phase
{
    EarlyYears,
    Primary,
    Secondary,
    AllThrough,
    FurtherEducation,
    AlternativeProvision,
}

/// <summary>
/// What the offer needs to know about a setting: all public or aggregate data, nothing about a child.
/// <c>SenFiguresEstimated</c>: the source left the SEN support and EHC plan counts blank, so the
/// percentages are an estimate (see the import), not the setting's own.
/// </summary>
public sealed record SettingDetails(
    string Name,
    Phase Phase,
    string Locality,
    bool InArea,
    int NumberOnRoll,
    decimal PercentFsm,
    decimal PercentSenSupport,
    decimal PercentEhcp,
    string? Postcode,
    bool Open,
    bool SenFiguresEstimated = false);

public sealed record SettingRegistered(string Urn, SettingDetails Details, string RegisteredBy, DateTimeOffset At);

public sealed record SettingDetailsChanged(string Urn, SettingDetails Details, IReadOnlyList<string> Changed, string ChangedBy, DateTimeOffset At);

public sealed record RegisterSetting(string Urn, SettingDetails Details, string Actor, DateTimeOffset At);

public sealed record SettingState(bool Exists, string Urn, SettingDetails? Details)
{
    public static readonly SettingState Initial = new(false, string.Empty, null);
}

/// <summary>
/// A setting's stream: registering it again with the same details records nothing, so re-importing
/// a file is idempotent, and each real change is an event naming the fields that changed.
/// </summary>
public static class SettingDecider
{
    public const string StreamType = "setting";

    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(SettingRegistered), "setting-registered"),
        (typeof(SettingDetailsChanged), "setting-details-changed"),
    ];

    public static IReadOnlyList<object> Decide(RegisterSetting command, SettingState state)
    {
        if (!state.Exists || state.Details is null)
        {
            return [new SettingRegistered(command.Urn, command.Details, command.Actor, command.At)];
        }

        var changed = RecordChanges.Between(state.Details, command.Details);
        return changed.Count == 0 ? [] : [new SettingDetailsChanged(command.Urn, command.Details, changed, command.Actor, command.At)];
    }

    /// <summary>The setting and its details as an event leaves them, or null for an event that does not carry them.</summary>
    public static (string Urn, SettingDetails Details)? DetailsIn(object @event) => @event switch
    {
        SettingRegistered e => (e.Urn, e.Details),
        SettingDetailsChanged e => (e.Urn, e.Details),
        _ => null,
    };

    public static SettingState Evolve(SettingState state, object @event) => @event switch
    {
        SettingRegistered e => new SettingState(true, e.Urn, e.Details),
        SettingDetailsChanged e => state with { Details = e.Details },
        _ => state,
    };
}
