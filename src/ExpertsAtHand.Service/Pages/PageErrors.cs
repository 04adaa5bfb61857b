using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace ExpertsAtHand.Service.Pages;

/// <summary>A form's errors as the GOV.UK error summary lists them: by field, in the API's field names and words.</summary>
public static class PageErrors
{
    /// <summary>Names each field whose typed value does not read (a date or a number typed wrongly) rather than dropping it silently.</summary>
    public static void AddUnreadable(List<(string Field, string Message)> errors, ModelStateDictionary state, params (string Key, string Words)[] fields)
    {
        foreach (var (key, words) in fields)
        {
            if (state[key]?.Errors.Count > 0)
            {
                errors.Add((char.ToLowerInvariant(key[0]) + key[1..], words));
            }
        }
    }

    /// <summary>The validator's failures, one per field, skipping a field already named; <paramref name="field"/> maps an API field name to the page's.</summary>
    public static void AddFailures(List<(string Field, string Message)> errors, IEnumerable<ValidationFailure> failures, Func<string, string>? field = null)
    {
        foreach (var failure in failures.DistinctBy(f => f.PropertyName))
        {
            var name = Hosting.HttpConventions.JsonPath(failure.PropertyName);
            name = field is null ? name : field(name);
            if (errors.All(e => e.Field != name))
            {
                errors.Add((name, failure.ErrorMessage));
            }
        }
    }
}
