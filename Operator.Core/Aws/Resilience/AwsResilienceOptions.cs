namespace Operator.Core.Aws.Resilience;

/// <summary>
/// Retry, timeout and client-side rate limits for AWS calls. Defaults stay below ECS's documented per-account,
/// per-region quotas (cluster read actions such as DescribeClusters: bucket 50, refill 20/s; modifications are
/// lower), so a healthy operator never gets throttled and a throttled one backs off:
/// <list type="bullet">
/// <item>reads (Describe*/List*): bucket 40, refill 15/s;</item>
/// <item>writes (Create/Update/Put/Tag/Untag/Delete): bucket 10, refill 2/s;</item>
/// <item>retry: up to 5 retries, exponential backoff from 200 ms with jitter, capped at 20 s, only for throttling,
/// 5xx, transport errors and attempt timeouts;</item>
/// <item>each attempt times out after 10 s, and a whole call (every attempt, back-off and wait for a token) after
/// 30 s, so an endpoint that accepts and never answers holds a worker for at most <see cref="CallTimeout"/>.</item>
/// </list>
/// </summary>
public sealed record AwsResilienceOptions
{
    public int MaxRetryAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);
    public bool UseJitter { get; init; } = true;
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TokenBucketOptions ReadBucket { get; init; } = new(40, 15);
    public TokenBucketOptions WriteBucket { get; init; } = new(10, 2);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetryAttempts);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AttemptTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(CallTimeout, AttemptTimeout);
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero);
        ReadBucket.Validate();
        WriteBucket.Validate();
    }
}
