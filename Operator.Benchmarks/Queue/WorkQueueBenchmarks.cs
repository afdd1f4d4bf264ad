using BenchmarkDotNet.Attributes;
using Operator.Core.Queue;

namespace Operator.Benchmarks.Queue;

/// <summary>
/// Throughput of the work queue's add → get → done cycle (one "op" = one full cycle on one key).
/// <c>Metrics=false</c>: no meter factory. <c>Metrics=true</c>: every workqueue_* instrument enabled by a
/// MeterListener with empty callbacks, i.e. the queue's own metric cost (an exporter's aggregation comes on top).
/// </summary>
[MemoryDiagnoser]
[OperationsPerSecond]
[MinColumn]
[MaxColumn]
public class WorkQueueBenchmarks
{
    private const int Cycles = 200_000;
    private const int Batch = 1_000;
    private const int Workers = 4;

    private string[] _keys = [];
    private WorkQueue<string> _queue = null!;
    private BenchmarkMeterFactory? _meters;
    private MeterListener? _listener;

    [Params(false, true)]
    public bool Metrics { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = [.. Enumerable.Range(0, Cycles).Select(i => $"namespace-{i % 16}/cluster-{i}")];
        if (Metrics)
        {
            _meters = new BenchmarkMeterFactory();
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == WorkQueueMetrics.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
            _listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
            _listener.Start();
        }

        _queue = new WorkQueue<string>(new WorkQueueOptions("bench"), TimeProvider.System, _meters);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _queue.Dispose();
        _listener?.Dispose();
        _meters?.Dispose();
    }

    /// <summary>One worker, queue depth 1: add a key, lease it, dispose the lease.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public void SingleThread_AddGetDone()
    {
        WorkQueue<string> queue = _queue;
        string[] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            queue.Add(keys[i]);
            using WorkItem<string> lease = GetNow(queue);
        }
    }

    /// <summary>One worker, queue depth 1000: add a batch of distinct keys, then lease and finish them all.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public void SingleThread_Batch1000()
    {
        WorkQueue<string> queue = _queue;
        string[] keys = _keys;
        for (int start = 0; start < keys.Length; start += Batch)
        {
            for (int i = start; i < start + Batch; i++)
            {
                queue.Add(keys[i]);
            }

            for (int i = 0; i < Batch; i++)
            {
                using WorkItem<string> lease = GetNow(queue);
            }
        }
    }

    /// <summary>Four concurrent workers, each adding its own keys and leasing whatever is ready (contended lock).</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public Task FourWorkers_AddGetDone()
    {
        var workers = new Task[Workers];
        for (int w = 0; w < Workers; w++)
        {
            int first = w * (Cycles / Workers);
            workers[w] = Task.Run(() => Work(first, first + (Cycles / Workers)));
        }

        return Task.WhenAll(workers);
    }

    private async Task Work(int from, int to)
    {
        WorkQueue<string> queue = _queue;
        for (int i = from; i < to; i++)
        {
            queue.Add(_keys[i]);
            using WorkItem<string> lease = await queue.GetAsync().ConfigureAwait(false);
        }
    }

    private static WorkItem<string> GetNow(WorkQueue<string> queue)
    {
        ValueTask<WorkItem<string>> get = queue.GetAsync();
        return get.IsCompletedSuccessfully ? get.Result : get.AsTask().GetAwaiter().GetResult();
    }

    private sealed class BenchmarkMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
