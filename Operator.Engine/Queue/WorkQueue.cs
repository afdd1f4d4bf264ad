using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Operator.Core.Queue;

/// <summary>
/// A rate-limited, delaying, de-duplicating work queue of keys with client-go <c>util/workqueue</c> semantics.
/// <para>Guarantees:</para>
/// <list type="bullet">
/// <item>Dirty set + processing set. <see cref="Add"/> of an item that is already waiting (dirty) does nothing.</item>
/// <item>An item is leased to at most one worker at a time. <see cref="Add"/> of an item being processed marks it
/// dirty without queueing it; when its lease is disposed (Done) it is queued again, exactly once however many adds
/// happened meanwhile.</item>
/// <item>Priority lanes (controller-runtime's priority queue): every add carries a priority (default
/// <see cref="DefaultPriority"/>, 0); a ready item of a higher priority is always handed out before any item of a
/// lower one, and within one priority items come out in FIFO order of the add that queued them. An add at a higher
/// priority of an item already waiting promotes it (to the back of the higher lane); an add at a lower or equal
/// priority changes nothing. An item re-added while processing is queued on Done at the highest priority it was
/// added with meanwhile; its lease reports the priority it was handed out with (<see cref="WorkItem{T}.Priority"/>),
/// so a retry can keep it.</item>
/// <item><see cref="AddAfter"/> queues the item once the delay has passed on the injected <see cref="TimeProvider"/>;
/// if the item is already waiting the earlier ready time wins; a delay &lt;= 0 adds at once.</item>
/// <item><see cref="AddRateLimited"/> = <c>AddAfter(item, limiter.When(item))</c>; <see cref="Forget"/> and
/// <see cref="NumRequeues"/> pass through to the limiter.</item>
/// <item><see cref="AddIfIdle"/> adds only an item that is neither waiting, nor being processed, nor waiting for a
/// delay (a retry or a timed requeue is already the next pass), for background sources that must never cause a second
/// pass over a key already in the pipeline.</item>
/// <item><see cref="ShutDown"/>: adds are ignored from then on, waiting and future <see cref="GetAsync"/> calls return
/// a lease whose <see cref="WorkItem{T}.IsShutdown"/> is true, and items that are queued or delayed are dropped (this
/// differs from client-go, whose Get keeps handing out queued items after ShutDown). Leases already held stay valid
/// and must still be disposed; an item re-added during its processing is then not queued again.
/// <see cref="ShutDownWithDrainAsync"/> does the same and then waits until every held lease is disposed.</item>
/// </list>
/// <para>The caller must dispose every lease it gets (<c>using var work = await queue.GetAsync(ct);</c>), call
/// <see cref="Forget"/> when an item succeeded, and dispose the queue when done with it (stops the delay timer and
/// removes the queue from the gauges). All members are thread-safe.</para>
/// <para>Implementation: one uncontended lock guards a dictionary of item states, one FIFO per priority seen (a
/// promotion leaves a stale slot behind, recognised by its sequence number and skipped) and the delay heap, so an
/// add/get/done cycle does not allocate. A <see cref="Channel{T}"/> carries only wake-up signals to workers waiting
/// in <see cref="GetAsync"/>; the delay heap is driven by a single <see cref="ITimer"/> from the TimeProvider and
/// monotonic <see cref="TimeProvider.GetTimestamp"/> values (immune to wall-clock jumps, still fully driven by a
/// FakeTimeProvider).</para>
/// </summary>
internal sealed class WorkQueue<T> : IDisposable
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<T, Entry> _entries; // holds an item iff it is dirty or processing
    private Lane[] _lanes = [];                       // dirty and not processing: one FIFO per priority, highest first
    private readonly DelayHeap<T> _delayed;
    private readonly Channel<bool> _wake;
    private readonly TimeProvider _time;
    private readonly IRateLimiter<T> _limiter;
    private readonly WorkQueueMetrics? _metrics;
    private readonly IDisposable? _gaugeRegistration;
    private readonly KeyValuePair<string, object?> _nameTag;

    private int _unsignalledWaiters;
    private int _readyCount;
    private long _nextSlot;
    private int _dirtyCount;
    private int _processingCount;
    private long _nextLeaseId;
    private volatile bool _shuttingDown;
    private TaskCompletionSource? _drained;
    private ITimer? _timer;
    private long _timerDueAt = long.MaxValue;

    /// <summary>Creates a queue.</summary>
    /// <param name="options">Name (the metrics' <c>name</c> tag) and default rate-limiter parameters.</param>
    /// <param name="timeProvider">Clock for delays, rate limiting and metric durations.</param>
    /// <param name="meterFactory">Source of the "Operator.WorkQueue" meter; null records no metrics.</param>
    /// <param name="rateLimiter">Limiter for <see cref="AddRateLimited"/>; null uses
    /// <see cref="DefaultControllerRateLimiter"/> with <see cref="WorkQueueOptions.RateLimiting"/>.</param>
    /// <param name="comparer">Equality of items; null uses the default equality of <typeparamref name="T"/>.</param>
    public WorkQueue(
        WorkQueueOptions options,
        TimeProvider timeProvider,
        IMeterFactory? meterFactory,
        IRateLimiter<T>? rateLimiter = null,
        IEqualityComparer<T>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Name = options.Name;
        _time = timeProvider;
        _entries = new Dictionary<T, Entry>(comparer);
        _delayed = new DelayHeap<T>(comparer);
        _limiter = rateLimiter ?? DefaultControllerRateLimiter.Create(timeProvider, options.RateLimiting, comparer);
        _wake = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions
        {
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false, // signals are written under the lock: never run a worker inline
        });
        _nameTag = new KeyValuePair<string, object?>("name", options.Name);
        if (meterFactory is not null)
        {
            _metrics = WorkQueueMetrics.For(meterFactory);
            _gaugeRegistration = _metrics.Register(_nameTag, GaugeSnapshot);
        }
    }

    /// <summary>The priority of <see cref="Add(T)"/> and of every other member that takes no priority.</summary>
    public const int DefaultPriority = 0;

    /// <summary>The queue's name (the <c>name</c> tag of its metrics).</summary>
    public string Name { get; }

    /// <summary>Number of items ready to be handed out (not counting items being processed or delayed).</summary>
    public int Len
    {
        get
        {
            lock (_lock)
            {
                return _readyCount;
            }
        }
    }

    /// <summary>True once <see cref="ShutDown"/> or <see cref="ShutDownWithDrainAsync"/> was called.</summary>
    public bool ShuttingDown => _shuttingDown;

    /// <summary>
    /// Marks <paramref name="item"/> as needing processing. No-op if it is already waiting or the queue is shutting
    /// down; if it is being processed it is queued again when its lease is disposed.
    /// </summary>
    public void Add(T item) => Add(item, DefaultPriority);

    /// <summary>
    /// <see cref="Add(T)"/> at <paramref name="priority"/>: an item already waiting at a lower priority is promoted.
    /// </summary>
    public void Add(T item, int priority)
    {
        long now = TimingTimestamp();
        bool added;
        lock (_lock)
        {
            added = !_shuttingDown && AddLocked(item, now, priority);
        }

        if (added)
        {
            _metrics?.Adds.Add(1, _nameTag);
        }
    }

    /// <summary>
    /// Adds <paramref name="item"/> at <paramref name="priority"/> only if it is neither waiting, being processed nor
    /// waiting for a delay; true when it was added. No-op when shutting down.
    /// </summary>
    public bool AddIfIdle(T item, int priority = DefaultPriority)
    {
        long now = TimingTimestamp();
        bool added = false;
        lock (_lock)
        {
            if (!_shuttingDown && !_entries.ContainsKey(item) && !_delayed.Contains(item))
            {
                added = AddLocked(item, now, priority);
            }
        }

        if (added)
        {
            _metrics?.Adds.Add(1, _nameTag);
        }

        return added;
    }

    /// <summary>
    /// Adds <paramref name="item"/> once <paramref name="delay"/> has passed (at once if &lt;= 0). If the item is
    /// already waiting for a delay, the earlier ready time wins. Counts one retry (workqueue_retries_total), as
    /// client-go does. No-op when shutting down.
    /// </summary>
    public void AddAfter(T item, TimeSpan delay) => AddAfter(item, delay, DefaultPriority);

    /// <summary><see cref="AddAfter(T, TimeSpan)"/>; the item is added at <paramref name="priority"/> when ready.</summary>
    public void AddAfter(T item, TimeSpan delay, int priority)
    {
        long now = _time.GetTimestamp();
        bool accepted;
        bool added = false;
        lock (_lock)
        {
            accepted = !_shuttingDown;
            if (accepted)
            {
                if (delay <= TimeSpan.Zero)
                {
                    added = AddLocked(item, now, priority);
                }
                else
                {
                    _delayed.Upsert(item, AddSaturating(now, delay), priority);
                    ArmTimerLocked(now, fromTimer: false);
                }
            }
        }

        if (accepted && _metrics is not null)
        {
            _metrics.Retries.Add(1, _nameTag);
            if (added)
            {
                _metrics.Adds.Add(1, _nameTag);
            }
        }
    }

    /// <summary>Adds <paramref name="item"/> after the delay the rate limiter assigns to it (records a failure).</summary>
    public void AddRateLimited(T item) => AddAfter(item, _limiter.When(item), DefaultPriority);

    /// <summary><see cref="AddRateLimited(T)"/>; the item is added at <paramref name="priority"/> when ready.</summary>
    public void AddRateLimited(T item, int priority) => AddAfter(item, _limiter.When(item), priority);

    /// <summary>Clears the rate limiter's failure history of <paramref name="item"/> (call it on success).</summary>
    public void Forget(T item) => _limiter.Forget(item);

    /// <summary>How many failures of <paramref name="item"/> the rate limiter has recorded.</summary>
    public int NumRequeues(T item) => _limiter.NumRequeues(item);

    /// <summary>
    /// Leases the next ready item, waiting until one is ready. Returns a lease with
    /// <see cref="WorkItem{T}.IsShutdown"/> = true once the queue is shut down (and releases waiters at that moment).
    /// Throws <see cref="OperationCanceledException"/> if <paramref name="cancellationToken"/> fires first; no item
    /// is lost then. Completes synchronously, without allocating, when an item is ready.
    /// </summary>
    public ValueTask<WorkItem<T>> GetAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<WorkItem<T>>(cancellationToken);
        }

        return TryTakeOrWait(out WorkItem<T> lease) ? new ValueTask<WorkItem<T>>(lease) : WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Shuts the queue down: further adds are ignored, waiting getters are released with a shutdown lease, queued and
    /// delayed items are dropped. Held leases stay valid. Idempotent.
    /// </summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            ShutDownLocked();
        }
    }

    /// <summary>
    /// <see cref="ShutDown"/>, then waits until every lease held at that moment has been disposed. Throws
    /// <see cref="OperationCanceledException"/> if <paramref name="cancellationToken"/> fires first (the queue stays
    /// shut down; late disposals are still accepted).
    /// </summary>
    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_lock)
        {
            ShutDownLocked();
            if (_processingCount == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }

        return drained.WaitAsync(cancellationToken);
    }

    /// <summary>Shuts the queue down and removes it from the metrics gauges.</summary>
    public void Dispose()
    {
        ShutDown();
        _gaugeRegistration?.Dispose();
    }

    /// <summary>Done: called by <see cref="WorkItem{T}.Dispose"/>; ignores leases that are no longer current.</summary>
    internal void Done(T item, long leaseId)
    {
        long now = TimingTimestamp();
        long startedAt;
        lock (_lock)
        {
            ref Entry entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, item);
            if (Unsafe.IsNullRef(ref entry) || !entry.Processing || entry.LeaseId != leaseId)
            {
                return; // already done: a second disposal of this lease or of a copy of it
            }

            entry.Processing = false;
            startedAt = entry.StartedAt;
            _processingCount--;
            if (entry.Dirty && !_shuttingDown)
            {
                EnqueueReadyLocked(item, ref entry);
                SignalOneWaiterLocked();
            }
            else
            {
                _entries.Remove(item); // after shutdown a pending re-add is dropped with everything else
            }

            if (_processingCount == 0 && _drained is not null)
            {
                _drained.TrySetResult();
            }
        }

        if (startedAt != 0 && now != 0)
        {
            _metrics?.WorkDuration.Record(_time.GetElapsedTime(startedAt, now).TotalSeconds, _nameTag);
        }
    }

    private bool AddLocked(T item, long now, int priority)
    {
        ref Entry entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, item, out _);
        if (entry.Dirty)
        {
            if (priority > entry.Priority)
            {
                entry.Priority = priority;
                if (!entry.Processing)
                {
                    _readyCount--; // the slot in the lower lane goes stale: its sequence number no longer matches
                    EnqueueReadyLocked(item, ref entry);
                }
            }

            return false;
        }

        entry.Dirty = true;
        entry.Priority = priority;
        entry.AddedAt = now;
        _dirtyCount++;
        if (!entry.Processing)
        {
            EnqueueReadyLocked(item, ref entry);
            SignalOneWaiterLocked();
        }

        return true;
    }

    private void EnqueueReadyLocked(T item, ref Entry entry)
    {
        entry.Slot = ++_nextSlot;
        LaneLocked(entry.Priority).Items.Enqueue(new Slot(item, entry.Slot));
        _readyCount++;
    }

    /// <summary>The lane of <paramref name="priority"/>; created (the only allocation) the first time it is used.</summary>
    private Lane LaneLocked(int priority)
    {
        Lane[] lanes = _lanes;
        int at = 0;
        for (; at < lanes.Length; at++)
        {
            if (lanes[at].Priority == priority)
            {
                return lanes[at];
            }

            if (lanes[at].Priority < priority)
            {
                break;
            }
        }

        var lane = new Lane(priority);
        var grown = new Lane[lanes.Length + 1];
        Array.Copy(lanes, grown, at);
        grown[at] = lane;
        Array.Copy(lanes, at, grown, at + 1, lanes.Length - at);
        _lanes = grown;
        return lane;
    }

    /// <summary>Dequeues the highest-priority ready item, dropping stale slots on the way.</summary>
    private bool TryDequeueReadyLocked(out T item)
    {
        foreach (Lane lane in _lanes)
        {
            while (lane.Items.TryDequeue(out Slot slot))
            {
                ref Entry entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, slot.Item);
                if (!Unsafe.IsNullRef(ref entry) && entry.Slot == slot.Sequence && entry.Dirty && !entry.Processing)
                {
                    _readyCount--;
                    item = slot.Item;
                    return true;
                }
            }
        }

        item = default!;
        return false;
    }

    /// <summary>Takes the next item, or registers the caller as a waiter; false means "wait for a signal".</summary>
    private bool TryTakeOrWait(out WorkItem<T> lease)
    {
        long now = TimingTimestamp();
        long addedAt;
        lock (_lock)
        {
            if (_shuttingDown)
            {
                lease = default;
                return true;
            }

            if (!TryDequeueReadyLocked(out T item))
            {
                _unsignalledWaiters++;
                lease = default;
                return false;
            }

            ref Entry entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, item);
            entry.Dirty = false;
            entry.Processing = true;
            entry.LeaseId = ++_nextLeaseId;
            entry.StartedAt = now;
            addedAt = entry.AddedAt;
            entry.AddedAt = 0;
            _dirtyCount--;
            _processingCount++;
            lease = new WorkItem<T>(this, item, entry.LeaseId, entry.Priority);
        }

        if (addedAt != 0 && now != 0)
        {
            _metrics?.QueueDuration.Record(_time.GetElapsedTime(addedAt, now).TotalSeconds, _nameTag);
        }

        return true;
    }

    private async ValueTask<WorkItem<T>> WaitAsync(CancellationToken cancellationToken)
    {
        // Invariant: every registered waiter is either counted in _unsignalledWaiters or has a signal in the channel
        // (Add consumes one count per signal it writes). A woken waiter re-checks the state, so surplus signals left
        // by cancelled waiters only cause a harmless extra loop.
        while (true)
        {
            try
            {
                await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // Shut down: TryTakeOrWait below reports it.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                lock (_lock)
                {
                    if (_unsignalledWaiters > 0)
                    {
                        _unsignalledWaiters--;
                    }
                }

                throw;
            }

            if (TryTakeOrWait(out WorkItem<T> lease))
            {
                return lease;
            }
        }
    }

    private void SignalOneWaiterLocked()
    {
        if (_unsignalledWaiters > 0)
        {
            _unsignalledWaiters--;
            _wake.Writer.TryWrite(true);
        }
    }

    private void ShutDownLocked()
    {
        if (_shuttingDown)
        {
            return;
        }

        _shuttingDown = true;
        while (TryDequeueReadyLocked(out T item))
        {
            _entries.Remove(item); // queued items are never processing
        }

        _dirtyCount = 0;
        _delayed.Clear();
        _timer?.Dispose();
        _timer = null;
        _timerDueAt = long.MaxValue;
        _wake.Writer.TryComplete(); // releases every waiting GetAsync
    }

    /// <summary>Points the timer at the earliest ready time, if that changed.</summary>
    private void ArmTimerLocked(long now, bool fromTimer)
    {
        if (!_delayed.TryPeek(out _, out long readyAt))
        {
            if (_timer is not null && _timerDueAt != long.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            _timerDueAt = long.MaxValue;
            return;
        }

        if (readyAt == _timerDueAt)
        {
            return;
        }

        TimeSpan due = readyAt <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, readyAt);
        if (fromTimer && due > TimeSpan.Zero && due < TimeSpan.FromMilliseconds(1))
        {
            // A real timer rounds sub-millisecond due times down to 0 and fires early; don't spin.
            due = TimeSpan.FromMilliseconds(1);
        }

        if (due > MaxTimerDue)
        {
            due = MaxTimerDue; // fires early, finds nothing ready and re-arms
        }

        _timerDueAt = readyAt;
        _timer ??= CreateTimer();
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(30);

    private ITimer CreateTimer()
    {
        // The timer must not capture the ExecutionContext (AsyncLocals, Activity) of whoever first called AddAfter.
        if (ExecutionContext.IsFlowSuppressed())
        {
            return _time.CreateTimer(static s => ((WorkQueue<T>)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return _time.CreateTimer(static s => ((WorkQueue<T>)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        long now = _time.GetTimestamp();
        int added = 0;
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _timerDueAt = long.MaxValue;
            while (_delayed.TryPeek(out _, out long readyAt) && readyAt <= now)
            {
                T item = _delayed.Pop(out int priority);
                if (AddLocked(item, now, priority))
                {
                    added++;
                }
            }

            ArmTimerLocked(now, fromTimer: true);
        }

        if (added > 0)
        {
            _metrics?.Adds.Add(added, _nameTag);
        }
    }

    private WorkQueueGaugeSnapshot GaugeSnapshot()
    {
        long now = _time.GetTimestamp();
        double unfinished = 0;
        double longest = 0;
        lock (_lock)
        {
            if (_processingCount > 0)
            {
                foreach (Entry entry in _entries.Values)
                {
                    if (entry.Processing && entry.StartedAt != 0)
                    {
                        double seconds = _time.GetElapsedTime(entry.StartedAt, now).TotalSeconds;
                        unfinished += seconds;
                        longest = Math.Max(longest, seconds);
                    }
                }
            }

            return new WorkQueueGaugeSnapshot(_dirtyCount, unfinished, longest);
        }
    }

    /// <summary>A timestamp when a duration metric is listened to, else 0 (no clock read on the hot path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long TimingTimestamp() => _metrics is { TimingEnabled: true } ? _time.GetTimestamp() : 0;

    private long AddSaturating(long now, TimeSpan delay)
    {
        double ticks = delay.Ticks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond);
        return ticks >= long.MaxValue - now ? long.MaxValue - 1 : now + (long)ticks;
    }

    private struct Entry
    {
        public bool Dirty;
        public bool Processing;
        public int Priority;   // while dirty: the highest priority it was added with since it became dirty
        public long Slot;      // sequence number of its current slot in a lane; older slots of it are stale
        public long LeaseId;
        public long AddedAt;   // timestamp of the add that made it dirty; 0 = not measured
        public long StartedAt; // timestamp it was leased; 0 = not measured
    }

    private readonly record struct Slot(T Item, long Sequence);

    private sealed class Lane(int priority)
    {
        public int Priority { get; } = priority;

        public Queue<Slot> Items { get; } = new();
    }
}
