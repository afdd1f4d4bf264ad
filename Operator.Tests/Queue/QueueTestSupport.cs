using Operator.Core.Queue;

namespace Operator.Tests.Queue;

/// <summary>An <see cref="IMeterFactory"/> whose meters are scoped to it, so a listener can pick out one test's meters.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}

/// <summary>Records every measurement of one factory's workqueue instruments, keyed by instrument and name tag.</summary>
internal sealed class WorkQueueMetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, string? Name, double Value)> _measurements = new();
    private readonly ConcurrentQueue<(string Instrument, string? Name, double Value)> _observed = new();

    public WorkQueueMetricsRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Meter.Name == WorkQueueMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Values recorded by counters and histograms.</summary>
    public IReadOnlyList<double> Values(string instrument, string name) =>
        [.. _measurements.Where(m => m.Instrument == instrument && m.Name == name).Select(m => m.Value)];

    public double Sum(string instrument, string name) => Values(instrument, name).Sum();

    /// <summary>Collects the observable gauges and returns the latest value of <paramref name="instrument"/>.</summary>
    public double Observe(string instrument, string name)
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        IReadOnlyList<double> values = ObservedValues(instrument, name);
        values.Should().HaveCount(1, $"one {instrument} measurement for queue {name}");
        return values[0];
    }

    /// <summary>Values reported by the observable gauges at the last collection.</summary>
    public IReadOnlyList<double> ObservedValues(string instrument, string name)
    {
        return [.. _observed.Where(m => m.Instrument == instrument && m.Name == name).Select(m => m.Value)];
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? name = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "name")
            {
                name = tag.Value as string;
            }
        }

        (instrument.IsObservable ? _observed : _measurements).Enqueue((instrument.Name, name, value));
    }
}

internal static class QueueTestExtensions
{
    public static WorkQueue<string> NewQueue(
        this FakeTimeProvider time,
        IMeterFactory? meters = null,
        IRateLimiter<string>? limiter = null,
        string name = "test") =>
        new(new WorkQueueOptions(name), time, meters, limiter);

    /// <summary>Gets a lease that must already be available (the call completes synchronously).</summary>
    public static WorkItem<string> GetReady(this WorkQueue<string> queue)
    {
        ValueTask<WorkItem<string>> get = queue.GetAsync();
        get.IsCompletedSuccessfully.Should().BeTrue("an item was expected to be ready");
        return get.Result;
    }

    /// <summary>Leases and completes every ready item, returning them in the order they were handed out.</summary>
    public static List<string> DrainReady(this WorkQueue<string> queue)
    {
        var items = new List<string>();
        while (queue.Len > 0)
        {
            using WorkItem<string> lease = queue.GetReady();
            items.Add(lease.Item);
        }

        return items;
    }
}
