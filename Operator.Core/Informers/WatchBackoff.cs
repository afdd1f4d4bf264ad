namespace Operator.Core.Informers;

/// <summary>
/// The reflector's back-off after a failed list or watch, as client-go's: 800 ms doubling up to 30 s, each delay
/// stretched by a random jitter in [0, 1) of itself, and reset to the start after 2 minutes without a failure.
/// Not thread-safe: one instance per reflector loop.
/// </summary>
internal sealed class WatchBackoff(TimeProvider time, Random? random = null)
{
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(800);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromMinutes(2);

    private readonly Random _random = random ?? Random.Shared;
    private TimeSpan _next = Initial;
    private DateTimeOffset? _lastFailure;

    /// <summary>The delay to wait before the next attempt after a failure now.</summary>
    public TimeSpan NextDelay()
    {
        var now = time.GetUtcNow();
        if (_lastFailure is { } last && now - last > ResetAfter)
        {
            _next = Initial;
        }
        _lastFailure = now;
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Max.Ticks));
        return current + TimeSpan.FromTicks((long)(current.Ticks * _random.NextDouble()));
    }
}
