namespace Operator.Core.Queue;

/// <summary>
/// Parameters of <see cref="DefaultControllerRateLimiter"/>. The defaults are client-go's
/// <c>DefaultTypedControllerRateLimiter</c>: per-item exponential 5 ms · 2^n capped at 1000 s, and an overall token
/// bucket of 10 qps with a burst of 100.
/// </summary>
internal sealed record RateLimiterOptions
{
    /// <summary>Delay after the first failure of an item.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Upper bound of the per-item exponential delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1000);

    /// <summary>Sustained retries per second across all items (token refill rate). Must be &gt; 0.</summary>
    public double Qps { get; init; } = 10;

    /// <summary>Retries allowed at once before the bucket starts spacing them (bucket size). Must be &gt;= 1.</summary>
    public int Burst { get; init; } = 100;
}
