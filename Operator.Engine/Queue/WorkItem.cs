namespace Operator.Core.Queue;

/// <summary>
/// A lease on one item handed out by <see cref="WorkQueue{T}.GetAsync"/>. While the lease is held no other worker
/// receives the same item; disposing it is client-go's <c>Done</c>: the item leaves the processing set and, if it was
/// added again meanwhile, is queued once more. Use it as <c>using var work = await queue.GetAsync(ct);</c> so Done
/// cannot be forgotten. Disposal is idempotent and copy-safe: every lease carries a unique id, so disposing it (or a
/// copy of it) again, even after the same item was leased anew, is a no-op.
/// The default value means "the queue is shut down": <see cref="IsShutdown"/> is true, there is no
/// <see cref="Item"/>, and disposing it does nothing.
/// </summary>
internal readonly struct WorkItem<T> : IDisposable
    where T : notnull
{
    private readonly WorkQueue<T>? _queue;
    private readonly T _item;
    private readonly long _leaseId;
    private readonly int _priority;

    internal WorkItem(WorkQueue<T> queue, T item, long leaseId, int priority)
    {
        _queue = queue;
        _item = item;
        _leaseId = leaseId;
        _priority = priority;
    }

    /// <summary>The priority the item was handed out with (the highest it was added with while waiting).</summary>
    public int Priority => _priority;

    /// <summary>True when the queue was shut down instead of handing out an item; the worker should exit.</summary>
    public bool IsShutdown => _queue is null;

    /// <summary>The leased item. Throws <see cref="InvalidOperationException"/> when <see cref="IsShutdown"/>.</summary>
    public T Item => _queue is not null ? _item : throw new InvalidOperationException("The queue is shut down: no item was leased.");

    /// <summary>Marks the item done (client-go <c>Done</c>). Safe to call any number of times.</summary>
    public void Dispose() => _queue?.Done(_item, _leaseId);

    public override string ToString() => _queue is null ? "<shutdown>" : $"{_item}";
}
