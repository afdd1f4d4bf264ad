using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Support;

/// <summary>
/// The reconciles of one kind (ECSCluster unless told) in this process whose object name starts with a prefix, recorded
/// when they finish, in the order they started (from the controller's reconcile activities). Thread-safe.
/// Every operator of the process counts, those of the fixtures running at the same time too: the prefix must be one no
/// other test gives its objects (a test counting "steady-" once also counted another fixture's steady-0 ... steady-n).
/// </summary>
internal sealed class ReconcileLog : IDisposable
{
    private readonly ConcurrentQueue<(DateTime Started, string Key)> _done = new();
    private readonly ActivityListener _listener;

    public ReconcileLog(string prefix, string kind = ECSCluster.KindName)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ControllerMetrics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.OperationName == $"reconcile {kind}"
                    && a.GetTagItem("k8s.object.name") is string name && name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    _done.Enqueue((a.StartTimeUtc, $"{a.GetTagItem("k8s.namespace.name")}/{name}"));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public int Count => _done.Count;

    /// <summary>The keys of the finished reconciles that started at or after <paramref name="from"/>, in the order they started.</summary>
    public List<string> Since(DateTime from) => [.. _done.Where(d => d.Started >= from).OrderBy(d => d.Started).Select(d => d.Key)];

    /// <summary>The keys of the finished reconciles, in the order they started.</summary>
    public List<string> Keys() => [.. _done.OrderBy(d => d.Started).Select(d => d.Key)];

    public void Dispose() => _listener.Dispose();
}
