using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Operator.Core.Queue;

/// <summary>
/// The controller-runtime-compatible workqueue instruments, created once per <see cref="Meter"/> (meter
/// "Operator.WorkQueue") and shared by every queue that uses it; each queue's measurements carry its
/// <c>name</c> tag. Counters and histograms are recorded by the queue on its hot path (a cheap no-op while nothing
/// listens); the three gauges are observable and read each registered queue's state only when collected.
/// </summary>
internal sealed class WorkQueueMetrics
{
    /// <summary>The meter name to subscribe to (OpenTelemetry <c>AddMeter</c>).</summary>
    public const string MeterName = "Operator.WorkQueue";

    /// <summary>controller-runtime's buckets for queue/work duration: ExponentialBuckets(10e-9, 10, 12).</summary>
    private static readonly double[] DurationBuckets =
        [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

    private static readonly ConditionalWeakTable<Meter, WorkQueueMetrics> PerMeter = [];

    private readonly Lock _sourcesLock = new();
    private readonly List<Source> _sources = [];

    private WorkQueueMetrics(Meter meter)
    {
        Adds = meter.CreateCounter<long>("workqueue_adds_total", null, "Total number of adds handled by workqueue");
        Retries = meter.CreateCounter<long>("workqueue_retries_total", null, "Total number of retries handled by workqueue");
        InstrumentAdvice<double> advice = new() { HistogramBucketBoundaries = DurationBuckets };
        QueueDuration = meter.CreateHistogram<double>(
            "workqueue_queue_duration_seconds",
            "s",
            "How long in seconds an item stays in workqueue before being requested",
            tags: null,
            advice);
        WorkDuration = meter.CreateHistogram<double>(
            "workqueue_work_duration_seconds",
            "s",
            "How long in seconds processing an item from workqueue takes.",
            tags: null,
            advice);
        Depth = meter.CreateObservableGauge(
            "workqueue_depth",
            () => Observe(static s => s.Depth),
            null,
            "Current depth of workqueue");
        Unfinished = meter.CreateObservableGauge(
            "workqueue_unfinished_work_seconds",
            () => Observe(static s => s.UnfinishedWorkSeconds),
            "s",
            "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. "
            + "Large values indicate stuck threads.");
        Longest = meter.CreateObservableGauge(
            "workqueue_longest_running_processor_seconds",
            () => Observe(static s => s.LongestRunningProcessorSeconds),
            "s",
            "How many seconds has the longest running processor for workqueue been running.");
    }

    public Counter<long> Adds { get; }

    public Counter<long> Retries { get; }

    public Histogram<double> QueueDuration { get; }

    public Histogram<double> WorkDuration { get; }

    public ObservableGauge<long> Depth { get; }

    public ObservableGauge<double> Unfinished { get; }

    public ObservableGauge<double> Longest { get; }

    /// <summary>True when someone listens to a duration: only then does the queue read timestamps per operation.</summary>
    public bool TimingEnabled => QueueDuration.Enabled || WorkDuration.Enabled || Unfinished.Enabled || Longest.Enabled;

    /// <summary>The shared instruments of the factory's "Operator.WorkQueue" meter.</summary>
    public static WorkQueueMetrics For(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(new MeterOptions(MeterName));
        return PerMeter.GetValue(meter, static m => new WorkQueueMetrics(m));
    }

    /// <summary>Adds a queue to the gauges; dispose the result to remove it (the queue does so on Dispose).</summary>
    public IDisposable Register(KeyValuePair<string, object?> nameTag, Func<WorkQueueGaugeSnapshot> snapshot)
    {
        Source source = new(this, nameTag, snapshot);
        lock (_sourcesLock)
        {
            _sources.Add(source);
        }

        return source;
    }

    private IEnumerable<Measurement<TValue>> Observe<TValue>(Func<WorkQueueGaugeSnapshot, TValue> select)
        where TValue : struct
    {
        Source[] sources;
        lock (_sourcesLock)
        {
            sources = [.. _sources];
        }

        var measurements = new Measurement<TValue>[sources.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            measurements[i] = new Measurement<TValue>(select(sources[i].Snapshot()), sources[i].NameTag);
        }

        return measurements;
    }

    private sealed class Source(WorkQueueMetrics owner, KeyValuePair<string, object?> nameTag, Func<WorkQueueGaugeSnapshot> snapshot)
        : IDisposable
    {
        public KeyValuePair<string, object?> NameTag { get; } = nameTag;

        public Func<WorkQueueGaugeSnapshot> Snapshot { get; } = snapshot;

        public void Dispose()
        {
            lock (owner._sourcesLock)
            {
                owner._sources.Remove(this);
            }
        }
    }
}
