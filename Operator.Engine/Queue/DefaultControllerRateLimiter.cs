namespace Operator.Core.Queue;

/// <summary>
/// The controller default (client-go <c>DefaultTypedControllerRateLimiter</c>): the larger of a per-item exponential
/// back-off and an overall token bucket, so one failing item backs off on its own while a mass failure cannot retry
/// faster than the bucket allows.
/// </summary>
internal static class DefaultControllerRateLimiter
{
    /// <summary>Builds max(per-item exponential, token bucket) from <paramref name="options"/> (defaults if null).</summary>
    public static IRateLimiter<T> Create<T>(
        TimeProvider timeProvider,
        RateLimiterOptions? options = null,
        IEqualityComparer<T>? comparer = null)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        options ??= new RateLimiterOptions();
        return new MaxOfRateLimiter<T>(
            new ItemExponentialFailureRateLimiter<T>(options.BaseDelay, options.MaxDelay, comparer),
            new BucketRateLimiter<T>(options.Qps, options.Burst, timeProvider));
    }
}
