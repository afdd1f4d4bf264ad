namespace Operator.Core.Clusters;

/// <summary>
/// The keys whose reconcile found their provider's <see cref="ProviderBulkhead"/> full, parked until a slot of that
/// provider is free instead of being requeued on a timer (a timer requeue costs a reconcile every period for every
/// waiting key; parked, a key costs one refused reconcile per wait). Guarantees:
/// <list type="bullet">
/// <item>No lost wake-up: a key parked while a slot is free, or when a slot is given back, is woken (re-queued through
/// the action given to <see cref="WakeWith"/>) at once; keys of one provider are woken in the order they parked, one
/// per freed slot.</item>
/// <item>A woken key that ends its reconcile without taking a slot (its object is gone, or needs no AWS work any
/// more) passes the wake-up on to the next parked key (<see cref="Settled"/>), so a free slot is never left unused
/// while keys are parked.</item>
/// <item>A parked key that is reconciled for another reason and takes a slot is no longer parked
/// (<see cref="Entered"/>): it is not woken again for nothing.</item>
/// </list>
/// The caller must call <see cref="Entered"/> after each slot it got, <see cref="Park"/> instead of a timer requeue
/// when <see cref="ProviderBulkhead.TryEnter"/> refused (and requeue on a timer when it returns false: not wired), and
/// <see cref="Settled"/> at the end of every reconcile. Memory: one entry per parked or woken key. Thread-safe.
/// </summary>
internal sealed class ProviderWaitList
{
    private readonly object gate = new();
    private readonly ProviderBulkhead bulkhead;
    private readonly Dictionary<string, LinkedList<string>> parked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Provider, LinkedListNode<string> Node)> parkedKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> woken = new(StringComparer.Ordinal);
    private Action<string>? wake;

    public ProviderWaitList(ProviderBulkhead bulkhead)
    {
        this.bulkhead = bulkhead;
        bulkhead.SlotFreed += WakeNext;
    }

    /// <summary>Keys parked now (for tests and diagnostics).</summary>
    public int Parked
    {
        get
        {
            lock (gate)
            {
                return parkedKeys.Count;
            }
        }
    }

    /// <summary>True while <paramref name="key"/> waits for a slot (parked, not yet woken).</summary>
    public bool IsParked(string key)
    {
        lock (gate)
        {
            return parkedKeys.ContainsKey(key);
        }
    }

    /// <summary>How a woken key is queued again (the controller's Enqueue). Until set, <see cref="Park"/> refuses.</summary>
    public void WakeWith(Action<string> enqueue) => Volatile.Write(ref wake, enqueue);

    /// <summary>Parks <paramref name="key"/> until a slot of <paramref name="providerKey"/> is free; false when no wake
    /// action is wired (the caller then requeues on a timer).</summary>
    public bool Park(string providerKey, string key)
    {
        if (Volatile.Read(ref wake) is null)
        {
            return false;
        }
        lock (gate)
        {
            woken.Remove(key);
            if (!parkedKeys.ContainsKey(key))
            {
                if (!parked.TryGetValue(providerKey, out var list))
                {
                    parked[providerKey] = list = new LinkedList<string>();
                }
                parkedKeys[key] = (providerKey, list.AddLast(key));
            }
        }
        // A slot given back between the refusal and the park found no one to wake: look again now.
        if (bulkhead.InUse(providerKey) < bulkhead.Capacity)
        {
            WakeNext(providerKey);
        }
        return true;
    }

    /// <summary>The key got a slot: it is neither parked nor waiting for its wake-up any more.</summary>
    public void Entered(string key)
    {
        lock (gate)
        {
            woken.Remove(key);
            Unpark(key);
        }
    }

    /// <summary>End of a reconcile of <paramref name="key"/>: a wake-up it did not use goes to the next parked key.</summary>
    public void Settled(string key)
    {
        string? provider;
        lock (gate)
        {
            if (!woken.Remove(key, out provider))
            {
                return;
            }
        }
        if (bulkhead.InUse(provider) < bulkhead.Capacity)
        {
            WakeNext(provider);
        }
    }

    private void WakeNext(string providerKey)
    {
        string? next = null;
        lock (gate)
        {
            if (parked.TryGetValue(providerKey, out var list) && list.First is { } first)
            {
                next = first.Value;
                Unpark(next);
                woken[next] = providerKey;
            }
        }
        if (next is not null)
        {
            Volatile.Read(ref wake)?.Invoke(next);
        }
    }

    private void Unpark(string key)
    {
        if (parkedKeys.Remove(key, out var entry))
        {
            var list = parked[entry.Provider];
            list.Remove(entry.Node);
            if (list.Count == 0)
            {
                parked.Remove(entry.Provider);
            }
        }
    }
}
