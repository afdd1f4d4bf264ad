namespace Operator.Core.Queue;

/// <summary>
/// Overall token bucket shared by all items (client-go <c>BucketRateLimiter</c> over golang.org/x/time/rate).
/// The bucket holds at most <c>burst</c> tokens and refills at <c>qps</c> tokens per second. Every
/// <see cref="When"/> reserves one token: it returns zero while tokens are available, otherwise the time until the
/// reserved token will exist (<c>Reserve().Delay()</c>): the bucket goes into debt, so reservations made at the same
/// instant are spaced by 1/qps. Time comes from the injected <see cref="TimeProvider"/> (monotonic timestamps).
/// It tracks no item: <see cref="Forget"/> does nothing and <see cref="NumRequeues"/> is always 0. Thread-safe.
/// </summary>
internal sealed class BucketRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _qps;
    private readonly int _burst;
    private double _tokens;
    private long _last;

    public BucketRateLimiter(double qps, int burst, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(qps);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _qps = qps;
        _burst = burst;
        _time = timeProvider;
        _tokens = burst; // a fresh bucket is full, as a rate.Limiter that was never used
        _last = timeProvider.GetTimestamp();
    }

    public TimeSpan When(T item)
    {
        long now = _time.GetTimestamp();
        double tokens;
        lock (_lock)
        {
            // A timestamp older than the last one (threads racing to the lock) must not refill negatively.
            if (now > _last)
            {
                double elapsedSeconds = (now - _last) / (double)_time.TimestampFrequency;
                _tokens = Math.Min(_burst, _tokens + (elapsedSeconds * _qps));
                _last = now;
            }

            _tokens -= 1;
            tokens = _tokens;
        }

        if (tokens >= 0)
        {
            return TimeSpan.Zero;
        }

        // Rounded to whole ticks so that 1/qps spacing is exact (0.1 s, not 0.0999999 s).
        return TimeSpan.FromTicks((long)Math.Round(-tokens / _qps * TimeSpan.TicksPerSecond));
    }

    public void Forget(T item)
    {
    }

    public int NumRequeues(T item) => 0;
}
