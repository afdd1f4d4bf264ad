using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Operator.Core.Controllers;

/// <summary>
/// The controller-runtime metric names, so existing dashboards and alerts work unchanged. The two gauges
/// (<c>controller_runtime_active_workers</c>, <c>controller_runtime_max_concurrent_reconciles</c>) are observed from
/// per-controller counts kept here rather than recorded as up/down deltas, so a listener that starts while a reconcile
/// runs (the metrics exporter starts with the host, the controllers may already work) still reads the true value and
/// never a negative one.
/// </summary>
internal sealed class ControllerMetrics
{
    private readonly ConcurrentDictionary<string, Gauges> _gauges = new(StringComparer.Ordinal);

    public const string MeterName = "Operator.Controller";
    public const string ActivitySourceName = "Operator.Controller";

    public static readonly double[] ReconcileBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
         2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

    public ControllerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        ReconcileTotal = meter.CreateCounter<long>("controller_runtime_reconcile_total",
            description: "Total number of reconciliations per controller, by result.");
        ReconcileErrors = meter.CreateCounter<long>("controller_runtime_reconcile_errors_total",
            description: "Total number of reconciliation errors per controller.");
        ReconcileDeferred = meter.CreateCounter<long>("controller_reconcile_deferred_total",
            description: "Keys taken from the queue whose pass the reconciler deferred (a provider's slots all in use); not reconciles.");
        ReconcileTime = meter.CreateHistogram("controller_runtime_reconcile_time_seconds", unit: null,
            description: "Length of time per reconciliation per controller.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ReconcileBuckets });
        meter.CreateObservableUpDownCounter("controller_runtime_active_workers",
            () => Observe(static g => Interlocked.Read(ref g.Active)),
            description: "Number of currently used workers per controller.");
        meter.CreateObservableUpDownCounter("controller_runtime_max_concurrent_reconciles",
            () => Observe(static g => Interlocked.Read(ref g.MaxConcurrent)),
            description: "Maximum number of concurrent reconciles per controller.");
    }

    /// <summary>The gauges of the controller named <paramref name="controller"/> (shared by controllers of one name).</summary>
    public Gauges For(string controller) => _gauges.GetOrAdd(controller, static _ => new Gauges());

    private IEnumerable<Measurement<long>> Observe(Func<Gauges, long> select) =>
        [.. _gauges.Select(g => new Measurement<long>(select(g.Value), new KeyValuePair<string, object?>("controller", g.Key)))];

    /// <summary>One controller's gauge values; change them with <see cref="Interlocked"/> only.</summary>
    internal sealed class Gauges
    {
        public long Active;
        public long MaxConcurrent;
    }

    public Counter<long> ReconcileTotal { get; }
    public Counter<long> ReconcileErrors { get; }
    public Counter<long> ReconcileDeferred { get; }
    public Histogram<double> ReconcileTime { get; }

    public static readonly ActivitySource Activities = new(ActivitySourceName);
}
