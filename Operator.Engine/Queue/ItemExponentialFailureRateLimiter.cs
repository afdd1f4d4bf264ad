namespace Operator.Core.Queue;

/// <summary>
/// Per-item exponential back-off (client-go <c>ItemExponentialFailureRateLimiter</c>): the n-th consecutive failure
/// of an item (n from 0) waits <c>baseDelay · 2^n</c>, never more than <c>maxDelay</c>. The computation saturates at
/// <c>maxDelay</c> instead of overflowing, however many failures are recorded. <see cref="Forget"/> resets the item.
/// Thread-safe. The caller must call <see cref="Forget"/> when an item succeeds, or its history is kept forever.
/// </summary>
internal sealed class ItemExponentialFailureRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<T, int> _failures;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;

    public ItemExponentialFailureRateLimiter(TimeSpan baseDelay, TimeSpan maxDelay, IEqualityComparer<T>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
        _failures = new Dictionary<T, int>(comparer);
    }

    public TimeSpan When(T item)
    {
        int exponent;
        lock (_lock)
        {
            _failures.TryGetValue(item, out exponent);
            _failures[item] = exponent == int.MaxValue ? exponent : exponent + 1;
        }

        // Computed in double so that 2^n never wraps; anything at or beyond the cap is the cap.
        double ticks = _baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= _maxDelay.Ticks ? _maxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(T item)
    {
        lock (_lock)
        {
            _failures.Remove(item);
        }
    }

    public int NumRequeues(T item)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(item);
        }
    }
}
