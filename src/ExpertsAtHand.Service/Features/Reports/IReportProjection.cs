using ExpertsAtHand.EventStore;

namespace ExpertsAtHand.Service.Features.Reports;

/// <summary>An async projection behind reports, naming the tables it writes so an as-of answer can shadow them.</summary>
public interface IReportProjection : IAsyncProjection
{
    IReadOnlyList<string> Tables { get; }
}
