using ExpertsAtHand.Infrastructure.Notifications;

namespace ExpertsAtHand.Service.Features.Feedback;

/// <summary>A request closed: ask its setting how the support was.</summary>
public sealed record AskSettingForFeedback(Guid RequestId, string SettingUrn, string RequestReference);

/// <summary>Where settings' feedback e-mails go (Notify:SettingMailboxes:{urn}) and the Notify template they use.</summary>
public sealed record FeedbackMailboxes(IReadOnlyDictionary<string, string> MailboxByUrn, string Template)
{
    public string? MailboxFor(string urn) => MailboxByUrn.TryGetValue(urn, out var mailbox) && mailbox.Length > 0 ? mailbox : null;
}

/// <summary>
/// E-mails the setting's SENCO mailbox through Notify, once (the message id is Notify's reference),
/// with the request's short reference only. A setting with no mailbox configured is asked in the
/// service alone (its open feedback shows on the request).
/// </summary>
public static class AskSettingForFeedbackHandler
{
    public static async Task Handle(AskSettingForFeedback message, Wolverine.Envelope envelope, NotifyEmailSender sender, FeedbackMailboxes mailboxes, CancellationToken cancellationToken)
    {
        if (mailboxes.MailboxFor(message.SettingUrn) is not { } mailbox)
        {
            return;
        }

        await sender.SendOnceAsync(
            new NotifyEmail(mailbox, mailboxes.Template, new Dictionary<string, string> { ["request_reference"] = message.RequestReference }, envelope.Id.ToString()),
            cancellationToken).ConfigureAwait(false);
    }
}
