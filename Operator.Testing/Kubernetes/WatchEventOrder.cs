namespace Operator.Testing.Kubernetes;

/// <summary>When a write's watch events reach the watchers relative to the write's own HTTP response.</summary>
public enum WatchEventOrder
{
    /// <summary>Each write independently picks one of the three orders below, from a seeded random sequence.</summary>
    Random,

    /// <summary>Every watcher has been sent (and flushed) the event before the write's response is written.</summary>
    EventFirst,

    /// <summary>The write's response is completed before any watcher is sent the event.</summary>
    ResponseFirst,

    /// <summary>No coordination: the watch stream and the response race (what the emulator did before).</summary>
    Concurrent,
}

/// <summary>
/// Decides, per write request, the order of its watch events and its response, and enforces it. A real apiserver
/// sends the watch event before the write's response most of the time (44 of 50 merge patches on v1.32), so clients
/// must never infer "this event is my write" from arrival order; with <see cref="WatchEventOrder.Random"/> a test sees
/// both orders and the concurrent case, reproducibly for a given seed (the sequence of choices is fixed by the seed;
/// which write gets which choice still depends on the order writes arrive in). Waits are bounded by
/// <see cref="MaxHold"/>, so a stalled watcher or a client that never reads its response delays, never deadlocks.
/// Thread-safe.
/// </summary>
internal sealed class WatchOrdering(WatchEventOrder order, int seed)
{
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(2);

    private static readonly AsyncLocal<WriteOrder?> Current = new();
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    /// <summary>The write the calling request is making, if it coordinates with the watch (read by the store's commit).</summary>
    public static WriteOrder? InFlight => Current.Value;

    /// <summary>Starts a write request: the events it commits on this async flow follow the returned order.</summary>
    public WriteOrder Begin()
    {
        var mode = order;
        if (mode == WatchEventOrder.Random)
        {
            lock (_gate)
            {
                mode = (WatchEventOrder)(1 + _random.Next(3));
            }
        }
        var write = new WriteOrder(mode);
        Current.Value = mode == WatchEventOrder.Concurrent ? null : write;
        return write;
    }
}

/// <summary>One write request's ordering: the events it produced and the moment its response was sent.</summary>
internal sealed class WriteOrder(WatchEventOrder mode)
{
    private readonly TaskCompletionSource _responseSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _delivered = [];

    public WatchEventOrder Mode { get; } = mode;

    /// <summary>Called by the store (under its lock) for each event queued to a watcher; returns the envelope to queue.</summary>
    internal WatchEnvelope Attach(WatchEnvelope ev)
    {
        switch (Mode)
        {
            case WatchEventOrder.EventFirst:
            {
                var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_delivered)
                {
                    _delivered.Add(sent.Task);
                }
                return ev with { Sent = sent };
            }
            case WatchEventOrder.ResponseFirst:
                return ev with { NotBefore = _responseSent.Task };
            default:
                return ev;
        }
    }

    /// <summary>Before the response: with <see cref="WatchEventOrder.EventFirst"/>, waits until every watcher got the event.</summary>
    public async Task BeforeResponseAsync(CancellationToken ct)
    {
        Task[] pending;
        lock (_delivered)
        {
            pending = [.. _delivered];
        }
        if (pending.Length == 0)
        {
            return;
        }
        try
        {
            await Task.WhenAll(pending).WaitAsync(WatchOrdering.MaxHold, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A watcher that does not read its stream must not stall writes.
        }
    }

    /// <summary>After the response was completed (or the request failed): releases events held for it.</summary>
    public void ResponseSent() => _responseSent.TrySetResult();
}
