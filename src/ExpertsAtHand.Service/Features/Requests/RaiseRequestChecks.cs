using ExpertsAtHand.Domain.Requests;
using ExpertsAtHand.Service.Hosting;
using Npgsql;

namespace ExpertsAtHand.Service.Features.Requests;

/// <summary>
/// What a raise is checked against beyond its body's shape (the area's child reference rule, the
/// setting being registered and open), and the command it becomes: one place for the API and the pages.
/// </summary>
public static class RaiseRequestChecks
{
    /// <summary>The refusals by field, in the words the API and the pages both show; null when the raise may go ahead.</summary>
    public static async Task<Dictionary<string, string[]>?> RefusalsAsync(RaiseRequestBody body, Caller caller, NpgsqlDataSource dataSource, ChildReferenceRules childReferences, CancellationToken cancellationToken)
    {
        if (body.Child?.Reference is { } reference && childReferences.For(caller.Tenant).Refuse(reference) is { } refusal)
        {
            return new Dictionary<string, string[]> { ["child.reference"] = [refusal] };
        }

        return await RequestEndpoints.SettingIsOpenAsync(dataSource, caller.Tenant, body.SettingUrn!, cancellationToken).ConfigureAwait(false) switch
        {
            null => new Dictionary<string, string[]> { ["settingUrn"] = [$"No setting with URN {body.SettingUrn} is registered in your local area."] },
            false => new Dictionary<string, string[]> { ["settingUrn"] = [$"Setting {body.SettingUrn} is recorded as closed, so it cannot ask for support. If it has reopened, an administrator updates its record first."] },
            _ => null,
        };
    }

    /// <summary>The command a checked body becomes.</summary>
    public static RaiseRequest Command(RaiseRequestBody body, Guid id, Caller caller, DateTimeOffset at)
    {
        var child = body.Child is { } c ? new ChildDetails(c.Reference!, c.YearGroup!.Value, c.SenStatus!.Value, c.ParentalConsent!.Value) : null;
        return new RaiseRequest(id, body.SettingUrn!, body.Level!.Value, body.Disciplines!, body.AreasOfNeed!, body.NeedsSummary!, body.ActionTaken!, child, body.Urgency!.Value, caller.Actor, at);
    }
}
