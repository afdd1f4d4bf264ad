using System.Threading.RateLimiting;

namespace Operator.Core.Aws.Resilience;

/// <summary>
/// A token bucket on an injected <see cref="TimeProvider"/> (System.Threading.RateLimiting's own bucket runs on a
/// real timer, so it cannot be driven by a fake clock). <see cref="RateLimiter.AcquireAsync"/> never fails for
/// lack of tokens: callers queue (one at a time, in arrival order) and wait until the bucket has refilled, so a
/// burst is smoothed instead of rejected. Only cancellation ends a wait early.
/// </summary>
internal sealed class AwsTokenBucket : RateLimiter
{
    private readonly object _lock = new();
    private readonly SemaphoreSlim _queue = new(1, 1);
    private readonly TimeProvider _time;
    private readonly TokenBucketOptions _options;
    private double _tokens;
    private long _lastRefill;
    private long _acquired;
    private long _waited;

    public AwsTokenBucket(TokenBucketOptions options, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _time = time;
        _tokens = options.Capacity;
        _lastRefill = time.GetTimestamp();
    }

    public TokenBucketOptions Options => _options;

    /// <summary>How many acquisitions had to queue or wait for a refill (for tests and diagnostics).</summary>
    public long WaitedCount => Interlocked.Read(ref _waited);

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = (long)_tokens,
                CurrentQueuedCount = _queue.CurrentCount == 0 ? 1 : 0,
                TotalSuccessfulLeases = _acquired,
                TotalFailedLeases = 0,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermits(permitCount);
        lock (_lock)
        {
            Refill();
            if (_tokens >= permitCount)
            {
                _tokens -= permitCount;
                _acquired++;
                return Lease.Acquired;
            }

            return Lease.Rejected;
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermits(permitCount);
        // Queued behind another waiter counts as having waited, whatever the bucket holds when our turn comes.
        var waited = !_queue.Wait(0, CancellationToken.None);
        if (waited)
        {
            await _queue.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (_lock)
                {
                    Refill();
                    if (_tokens >= permitCount)
                    {
                        _tokens -= permitCount;
                        _acquired++;
                        if (waited)
                        {
                            Interlocked.Increment(ref _waited);
                        }

                        return Lease.Acquired;
                    }

                    wait = TimeSpan.FromSeconds((permitCount - _tokens) / _options.RefillPerSecond);
                }

                waited = true;
                await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _time, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            _queue.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _queue.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastRefill, now);
        _lastRefill = now;
        _tokens = Math.Min(_options.Capacity, _tokens + elapsed.TotalSeconds * _options.RefillPerSecond);
    }

    private void CheckPermits(int permitCount)
    {
        if (permitCount < 0 || permitCount > _options.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"Between 0 and the bucket capacity ({_options.Capacity}).");
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Rejected = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
