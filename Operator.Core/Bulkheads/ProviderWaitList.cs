using System.Diagnostics.Metrics;

namespace Operator.Core.Bulkheads;

/// <summary>
/// The keys whose reconcile found their provider's <see cref="ProviderBulkhead"/> full, parked until a slot of that
/// provider is free instead of being requeued on a timer (a timer requeue costs a reconcile every period for every
/// waiting key; parked, a key costs one deferral per wait, which is not a reconcile when the controller's admission
/// check parked it, see <see cref="ClusterReconciler.Admit"/>). Guarantees:
/// <list type="bullet">
/// <item>No lost wake-up: a key parked while a slot is free, or when a slot of the provider it was last parked for is
/// given back, is woken (re-queued through
/// the action given to <see cref="WakeWith(Action{string, int})"/>) at once, with the priority it was parked with; keys
/// of one provider are woken one per freed slot, the highest priority first and in the order they parked within one
/// priority, so a user's change parked behind a background backlog takes the next free slot.</item>
/// <item>A woken key that ends its reconcile without taking a slot (its object is gone, or needs no AWS work any
/// more) passes the wake-up on to the next parked key (<see cref="Settled"/>), so a free slot is never left unused
/// while keys are parked.</item>
/// <item>A parked key that is reconciled for another reason and takes a slot is no longer parked
/// (<see cref="Entered"/>): it is not woken again for nothing.</item>
/// </list>
/// The caller must call <see cref="Entered"/> after each slot it got, <see cref="Park"/> instead of a timer requeue
/// when <see cref="ProviderBulkhead.TryEnter"/> refused (and requeue on a timer when it returns false: not wired), and
/// <see cref="Settled"/> at the end of every reconcile. Memory: one entry per parked or woken key. Thread-safe.
/// The gauge <c>ecscluster_parked_keys{provider}</c> reports, at each scrape, the keys parked now per provider: every
/// provider that ever asked the bulkhead for a slot has its series, at 0 when none waits (so a provider's series never
/// goes stale at its last non-zero value). A parked key counts until it is woken (or gets a slot on its own).
/// </summary>
internal sealed class ProviderWaitList
{
    private readonly object _gate = new();
    private readonly ProviderBulkhead _bulkhead;
    // Per provider: the parked keys by priority (highest first), each lane in parking order.
    private readonly Dictionary<string, SortedList<int, LinkedList<string>>> _parked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Provider, int Priority, LinkedListNode<string> Node)> _parkedKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _woken = new(StringComparer.Ordinal);
    private Action<string, int>? _wake;

    public ProviderWaitList(ProviderBulkhead bulkhead, IMeterFactory? meters = null)
    {
        _bulkhead = bulkhead;
        bulkhead.SlotFreed += WakeNext;
        meters?.Create(ProviderBulkhead.MeterName).CreateObservableGauge("ecscluster_parked_keys", ObserveParked,
            description: "ECSCluster keys parked now because their provider had no free reconcile slot (--max-reconciles-per-provider).");
    }

    private Measurement<int>[] ObserveParked()
    {
        var providers = _bulkhead.Providers;
        lock (_gate)
        {
            return [.. providers.Union(_parked.Keys, StringComparer.Ordinal).Select(p => new Measurement<int>(
                _parked.TryGetValue(p, out var lanes) ? lanes.Values.Sum(l => l.Count) : 0,
                new KeyValuePair<string, object?>("provider", p)))];
        }
    }

    /// <summary>Keys parked now (for tests and diagnostics).</summary>
    public int Parked
    {
        get
        {
            lock (_gate)
            {
                return _parkedKeys.Count;
            }
        }
    }

    /// <summary>True while <paramref name="key"/> waits for a slot (parked, not yet woken).</summary>
    public bool IsParked(string key)
    {
        lock (_gate)
        {
            return _parkedKeys.ContainsKey(key);
        }
    }

    /// <summary>How a woken key is queued again (the controller's Enqueue at the given priority). Until set,
    /// <see cref="Park"/> refuses.</summary>
    public void WakeWith(Action<string, int> enqueue) => Volatile.Write(ref _wake, enqueue);

    /// <summary>As <see cref="WakeWith(Action{string, int})"/>, for a queue without priorities.</summary>
    public void WakeWith(Action<string> enqueue) => WakeWith((key, _) => enqueue(key));

    /// <summary>Parks <paramref name="key"/> until a slot of <paramref name="providerKey"/> is free, to be woken at
    /// <paramref name="priority"/> (the priority of the work that was refused); false when no wake action is wired (the
    /// caller then requeues on a timer). Parking a key already parked for the same provider keeps its place unless the
/// priority is higher; parked for another provider (its object's providerRef changed), it moves to this one's.</summary>
    public bool Park(string providerKey, string key, int priority = 0)
    {
        if (Volatile.Read(ref _wake) is null)
        {
            return false;
        }
        string? wokenBy;
        lock (_gate)
        {
            // A wake-up from another provider that this key will not use goes on to that provider's next parked key.
            wokenBy = _woken.Remove(key, out var previous) && previous != providerKey ? previous : null;
            if (_parkedKeys.TryGetValue(key, out var existing) && (existing.Priority < priority || existing.Provider != providerKey))
            {
                Unpark(key);
            }
            if (!_parkedKeys.ContainsKey(key))
            {
                if (!_parked.TryGetValue(providerKey, out var lanes))
                {
                    _parked[providerKey] = lanes = new SortedList<int, LinkedList<string>>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
                }
                if (!lanes.TryGetValue(priority, out var lane))
                {
                    lanes[priority] = lane = new LinkedList<string>();
                }
                _parkedKeys[key] = (providerKey, priority, lane.AddLast(key));
            }
        }
        if (wokenBy is not null && _bulkhead.InUse(wokenBy) < _bulkhead.Capacity)
        {
            WakeNext(wokenBy);
        }
        // A slot given back between the refusal and the park found no one to wake: look again now.
        if (_bulkhead.InUse(providerKey) < _bulkhead.Capacity)
        {
            WakeNext(providerKey);
        }
        return true;
    }

    /// <summary>The key got a slot: it is neither parked nor waiting for its wake-up any more.</summary>
    public void Entered(string key)
    {
        lock (_gate)
        {
            _woken.Remove(key);
            Unpark(key);
        }
    }

    /// <summary>End of a reconcile of <paramref name="key"/>: a wake-up it did not use goes to the next parked key.</summary>
    public void Settled(string key)
    {
        string? provider;
        lock (_gate)
        {
            if (!_woken.Remove(key, out provider))
            {
                return;
            }
        }
        if (_bulkhead.InUse(provider) < _bulkhead.Capacity)
        {
            WakeNext(provider);
        }
    }

    private void WakeNext(string providerKey)
    {
        string? next = null;
        var priority = 0;
        lock (_gate)
        {
            // Lanes are removed when empty, so the first lane's first key is the highest-priority, longest-parked one.
            if (_parked.TryGetValue(providerKey, out var lanes) && lanes.Count > 0 && lanes.Values[0].First is { } first)
            {
                next = first.Value;
                priority = lanes.Keys[0];
                Unpark(next);
                _woken[next] = providerKey;
            }
        }
        if (next is not null)
        {
            Volatile.Read(ref _wake)?.Invoke(next, priority);
        }
    }

    private void Unpark(string key)
    {
        if (_parkedKeys.Remove(key, out var entry))
        {
            var lanes = _parked[entry.Provider];
            var lane = lanes[entry.Priority];
            lane.Remove(entry.Node);
            if (lane.Count == 0)
            {
                lanes.Remove(entry.Priority);
            }
            if (lanes.Count == 0)
            {
                _parked.Remove(entry.Provider);
            }
        }
    }
}
