namespace Operator.Core.Queue;

/// <summary>
/// Combines limiters by taking the worst case (client-go <c>MaxOfRateLimiter</c>): <see cref="When"/> asks every
/// limiter (so each records the failure) and returns the largest delay; <see cref="NumRequeues"/> is the largest
/// count; <see cref="Forget"/> forgets the item in every limiter. Thread-safe if the parts are.
/// </summary>
internal sealed class MaxOfRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    private readonly IRateLimiter<T>[] _limiters;

    public MaxOfRateLimiter(params IRateLimiter<T>[] limiters)
    {
        ArgumentNullException.ThrowIfNull(limiters);
        ArgumentOutOfRangeException.ThrowIfZero(limiters.Length);
        _limiters = [.. limiters];
    }

    public TimeSpan When(T item)
    {
        TimeSpan max = TimeSpan.Zero;
        foreach (IRateLimiter<T> limiter in _limiters)
        {
            TimeSpan delay = limiter.When(item);
            if (delay > max)
            {
                max = delay;
            }
        }

        return max;
    }

    public void Forget(T item)
    {
        foreach (IRateLimiter<T> limiter in _limiters)
        {
            limiter.Forget(item);
        }
    }

    public int NumRequeues(T item)
    {
        int max = 0;
        foreach (IRateLimiter<T> limiter in _limiters)
        {
            max = Math.Max(max, limiter.NumRequeues(item));
        }

        return max;
    }
}
