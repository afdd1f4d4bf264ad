using System.Diagnostics.Metrics;
using Operator.Core.Controllers;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Counts <c>controller_runtime_reconcile_total</c> of one controller (every result) with a MeterListener, so scenarios
/// can read how many reconciles ran in a window. Thread-safe.
/// </summary>
internal sealed class ReconcileCounter : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly string controller;
    private long total;

    public ReconcileCounter(string controller)
    {
        this.controller = controller;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ControllerMetrics.MeterName && instrument.Name == "controller_runtime_reconcile_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>(OnMeasurement);
        listener.Start();
    }

    public long Total => Interlocked.Read(ref total);

    public void Dispose() => listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "controller" && (string?)tag.Value == controller)
            {
                Interlocked.Add(ref total, value);
                return;
            }
        }
    }
}
