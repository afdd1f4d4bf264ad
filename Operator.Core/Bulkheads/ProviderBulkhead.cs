using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Operator.Core.Bulkheads;

/// <summary>
/// A cap on the ECSCluster reconciles that work against one AWSProvider at the same time, so a slow or hanging
/// endpoint can hold at most <see cref="Capacity"/> of the workers and every other provider keeps the rest.
/// <see cref="TryEnter"/> never waits: a caller that gets no slot must give its worker back at once (park or requeue
/// the key) rather than block; every refusal counts in <c>ecscluster_provider_busy_total{provider}</c> (and so does
/// a key deferred before its pass, <see cref="CountBusy"/>), and the slots
/// in use are the gauge <c>ecscluster_provider_reconciles_in_flight{provider}</c>. The caller disposes the slot when
/// its AWS work is over (disposing twice is harmless). Thread-safe; one instance is shared by every worker.
/// Another controller may keep a bulkhead of its own under other metric names (<see cref="BulkheadMetrics"/>): the
/// AWSProvider controller's is keyed by namespace and by STS endpoint (<c>Providers/ProviderCheckSlots</c>).
/// </summary>
internal sealed class ProviderBulkhead
{
    public const string BusyMetric = "ecscluster_provider_busy_total";

    /// <summary>The meter of the ECSCluster controller's own metrics (the drift scanner's, <c>Clusters/DriftScanner</c>),
    /// which the host exports; the bulkheads of both controllers report there.</summary>
    public const string MeterName = "Operator.Clusters";

    /// <summary>The ECSCluster controller's metrics: keys are providers.</summary>
    public static readonly BulkheadMetrics ClusterMetrics = new(ProviderBulkhead.MeterName, BusyMetric,
        "ECSCluster keys parked (deferred before their pass, or turned away by it) because their provider already had its share of the workers.",
        "ecscluster_provider_reconciles_in_flight", "ECSCluster reconciles working against each provider now.", "provider");

    // Entries are never removed: a few bytes per key ever seen, and no race between release and reuse.
    private readonly ConcurrentDictionary<string, StrongBox<int>> _inUse = new(StringComparer.Ordinal);
    private readonly Counter<long> _busy;
    private readonly string _label;

    public ProviderBulkhead(int capacity, IMeterFactory meters, BulkheadMetrics? metrics = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        metrics ??= ClusterMetrics;
        _label = metrics.Label;
        var meter = meters.Create(metrics.MeterName);
        _busy = meter.CreateCounter<long>(metrics.Busy, description: metrics.BusyDescription);
        meter.CreateObservableGauge(metrics.InFlight, () => _inUse
            .Select(kv => new Measurement<int>(Volatile.Read(ref kv.Value.Value), new KeyValuePair<string, object?>(_label, kv.Key))),
            description: metrics.InFlightDescription);
    }

    /// <summary>The share of the workers one provider may hold: half of them by default, at least one.</summary>
    public static int DefaultCapacity(int workers) => Math.Max(1, workers / 2);

    public int Capacity { get; }

    /// <summary>A slot for <paramref name="providerKey"/>, or null when all of its slots are in use.</summary>
    public Slot? TryEnter(string providerKey)
    {
        var counter = _inUse.GetOrAdd(providerKey, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref counter.Value) <= Capacity)
        {
            return new Slot(this, providerKey, counter);
        }

        Interlocked.Decrement(ref counter.Value);
        CountBusy(providerKey);
        return null;
    }

    /// <summary>Counts a reconcile turned away or deferred because <paramref name="providerKey"/> had no free slot.</summary>
    public void CountBusy(string providerKey) => _busy.Add(1, new KeyValuePair<string, object?>(_label, providerKey));

    /// <summary>Raised with the provider key after one of its slots was given back (<see cref="ProviderWaitList"/>).</summary>
    public event Action<string>? SlotFreed;

    /// <summary>Every provider key that ever asked for a slot (the gauges report each of them, at 0 when idle).</summary>
    public IReadOnlyList<string> Providers => [.. _inUse.Keys];

    /// <summary>Slots of <paramref name="providerKey"/> in use now.</summary>
    public int InUse(string providerKey) => _inUse.TryGetValue(providerKey, out var c) ? Volatile.Read(ref c.Value) : 0;

    /// <summary>One held slot; disposing it gives the slot back.</summary>
    public sealed class Slot : IDisposable
    {
        private readonly ProviderBulkhead _owner;
        private readonly string _providerKey;
        private readonly StrongBox<int> _counter;
        private int _released;

        internal Slot(ProviderBulkhead owner, string providerKey, StrongBox<int> counter)
        {
            _owner = owner;
            _providerKey = providerKey;
            _counter = counter;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref _counter.Value);
                _owner.SlotFreed?.Invoke(_providerKey);
            }
        }
    }
}

/// <summary>The names a <see cref="ProviderBulkhead"/> exports its counter of refusals and its gauge of slots in use
/// under, and the label carrying the key.</summary>
internal sealed record BulkheadMetrics(
    string MeterName, string Busy, string BusyDescription, string InFlight, string InFlightDescription, string Label);
