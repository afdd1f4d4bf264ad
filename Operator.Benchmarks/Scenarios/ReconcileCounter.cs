using System.Collections.Concurrent;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Counts, with a MeterListener, <c>controller_runtime_reconcile_total</c> of one controller (by result), its
/// <c>controller_reconcile_deferred_total</c> (keys parked before a pass: not reconciles) and the drift scanner's
/// <c>ecscluster_drift_detected_total</c>, so scenarios can read how many of each happened in a window.
/// Thread-safe.
/// </summary>
internal sealed class ReconcileCounter : IDisposable
{
    private const string DriftMeter = "Operator.Clusters";
    private const string DriftDetected = "ecscluster_drift_detected_total";
    private const string DeferredMetric = "controller_reconcile_deferred_total";
    private readonly MeterListener _listener = new();
    private readonly string _controller;
    private readonly ConcurrentDictionary<string, long> _byResult = new(StringComparer.Ordinal);
    private long _total;
    private long _drift;
    private long _deferred;

    public ReconcileCounter(string controller)
    {
        _controller = controller;
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if ((instrument.Meter.Name == ControllerMetrics.MeterName && instrument.Name is "controller_runtime_reconcile_total" or DeferredMetric)
                || (instrument.Meter.Name == DriftMeter && instrument.Name == DriftDetected))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Keys taken from the queue and parked before a pass (their provider's slots were all in use).</summary>
    public long Deferred => Interlocked.Read(ref _deferred);

    /// <summary>Clusters the drift scanner found out of sync and queued.</summary>
    public long DriftQueued => Interlocked.Read(ref _drift);

    /// <summary>Reconciles so far by result (success, requeue_after, error).</summary>
    public IReadOnlyDictionary<string, long> ByResult => new Dictionary<string, long>(_byResult);

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == DriftDetected)
        {
            Interlocked.Add(ref _drift, value);
            return;
        }
        string? name = null, result = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "controller")
            {
                name = tag.Value as string;
            }
            else if (tag.Key == "result")
            {
                result = tag.Value as string;
            }
        }
        if (name == _controller && instrument.Name == DeferredMetric)
        {
            Interlocked.Add(ref _deferred, value);
        }
        else if (name == _controller)
        {
            Interlocked.Add(ref _total, value);
            _byResult.AddOrUpdate(result ?? "", value, (_, v) => v + value);
        }
    }
}
