using ExpertsAtHand.Domain.Feedback;
using ExpertsAtHand.Service.Features.Feedback;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ExpertsAtHand.Service.Pages;

/// <summary>
/// A family says how they felt about the support, with the code their child's setting handed them:
/// no account, nothing about the child shown, and the code works once.
/// </summary>
public sealed class FamilyFeedbackModel(FamilyFeedbackCodes codes, FeedbackCommandHandler handler, IValidator<FamilyFeedbackBody> validator, TimeProvider clock) : PageModel
{
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public SatisfactionRating? Rating { get; set; }
    [BindProperty] public string? Comment { get; set; }

    /// <summary>The code has been read: the questions are shown.</summary>
    public bool Asking { get; private set; }

    public bool Thanked { get; private set; }

    public List<(string Field, string Message)> Errors { get; } = [];

    public string? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field).Message;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostCodeAsync(CancellationToken cancellationToken)
    {
        Asking = await ReadAsync(cancellationToken).ConfigureAwait(false) is not null;
        return Page();
    }

    public async Task<IActionResult> OnPostAnswerAsync(CancellationToken cancellationToken)
    {
        if (await ReadAsync(cancellationToken).ConfigureAwait(false) is not { } read)
        {
            return Page();
        }

        Asking = true;
        var body = new FamilyFeedbackBody(Rating, Comment);
        PageErrors.AddFailures(Errors, (await validator.ValidateAsync(body, cancellationToken).ConfigureAwait(false)).Errors);
        if (Errors.Count > 0)
        {
            return Page();
        }

        switch (await handler.GiveFamilyAsync(read, Rating!.Value, Comment, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            case FeedbackResult.Done:
                Thanked = true;
                Asking = false;
                return Page();
            case FeedbackResult.Refused refused:
                Errors.Add(("rating", refused.Reason));
                return Page();
            case FeedbackResult.Stale:
                Errors.Add(("rating", $"{FamilyFeedbackWords.SendAgain} Please send your answer again."));
                return Page();
            default:
                Errors.Add(("code", $"{FamilyFeedbackWords.UnknownCode}. {FamilyFeedbackWords.UnknownCodeDetail}"));
                Asking = false;
                return Page();
        }
    }

    private async Task<FamilyCode?> ReadAsync(CancellationToken cancellationToken)
    {
        var typed = Code?.Trim() ?? string.Empty;
        var (read, expired) = typed.Length is > 0 and <= 512 ? await codes.ReadOpenAsync(typed, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false) : (null, false);
        if (read is null)
        {
            Errors.Add(("code", typed.Length == 0 ? "Enter the code the school, nursery or college gave you."
                : expired ? $"{FamilyFeedbackWords.ExpiredCode}. {FamilyFeedbackWords.ExpiredCodeDetail}"
                : $"{FamilyFeedbackWords.UnknownCode}. {FamilyFeedbackWords.UnknownCodeDetail}"));
        }

        return read;
    }
}
