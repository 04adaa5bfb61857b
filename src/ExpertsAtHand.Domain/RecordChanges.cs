using System.Collections;

namespace ExpertsAtHand.Domain;

/// <summary>Which properties differ between two versions of a reference-data record (lists compared item by item).</summary>
public static class RecordChanges
{
    public static IReadOnlyList<string> Between<T>(T before, T after)
        where T : class =>
    [
        .. typeof(T).GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && !Same(p.GetValue(before), p.GetValue(after)))
            .Select(p => p.Name),
    ];

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (string x, string y) => x == y,
        (IEnumerable x, IEnumerable y) => x.Cast<object?>().SequenceEqual(y.Cast<object?>()),
        _ => Equals(a, b),
    };
}
