namespace Operator.Core.Informers;

/// <summary>
/// The reflector's back-off after a failed list or watch. Each failure waits 500 ms doubling, stretched by a random
/// jitter of up to half of itself, up to a cap that depends on why it failed:
/// <list type="bullet">
/// <item><see cref="Failure.Unreachable"/> (connection refused or reset, a time-out: the API server is not there, as
/// during its restart): capped at <see cref="UnreachableMax"/>, so the informer is watching again within about 3 s of
/// the server answering, however long it was gone; a refused connection costs the server nothing;</item>
/// <item><see cref="Failure.Refused"/> (429, 5xx, an error answer: the server is there but struggling): capped at
/// <see cref="RefusedMax"/>, well under any resync period, and never shorter than the server's Retry-After (up to that
/// cap).</item>
/// </list>
/// The sequence grows within the current failure's cap only, so the first error answer after a long unreachable phase
/// waits at most the unreachable cap. <see cref="Succeeded"/> (a list answered; a watch that delivered an event or ended
/// normally after a second) starts the sequence over, so a second outage begins with
/// a short delay again instead of inheriting the last one. Time is the injected clock's monotonic time.
/// One instance per reflector loop, which alone calls <see cref="NextDelay"/> and <see cref="Succeeded"/>;
/// <see cref="FailingFor"/> may be read from any thread.
/// </summary>
internal sealed class WatchBackoff(TimeProvider time, Random? random = null)
{
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan UnreachableMax = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan RefusedMax = TimeSpan.FromSeconds(30);

    private readonly Random _random = random ?? Random.Shared;
    private TimeSpan _next = Initial;
    private long _failingSince; // a timestamp; 0 while nothing fails

    public enum Failure
    {
        Unreachable,
        Refused,
    }

    /// <summary>How long the list or watch has been failing without a success in between; zero while it works.</summary>
    public TimeSpan FailingFor => Volatile.Read(ref _failingSince) is var since and not 0 ? time.GetElapsedTime(since) : TimeSpan.Zero;

    /// <summary>The delay to wait before the next attempt after a failure now; <paramref name="retryAfter"/> is the server's hint.</summary>
    public TimeSpan NextDelay(Failure failure, TimeSpan? retryAfter = null)
    {
        if (Volatile.Read(ref _failingSince) == 0)
        {
            Volatile.Write(ref _failingSince, Math.Max(1, time.GetTimestamp()));
        }
        var cap = failure == Failure.Unreachable ? UnreachableMax : RefusedMax;
        var current = _next < cap ? _next : cap;
        // Grows only within this failure's cap: a long refused phase must not leave a 30 s delay for the first error
        // answer of a server that is back.
        _next = TimeSpan.FromTicks(Math.Min(current.Ticks * 2, cap.Ticks));
        var delay = current + TimeSpan.FromTicks((long)(current.Ticks * 0.5 * _random.NextDouble()));
        return retryAfter is { } hint && hint > delay && hint <= RefusedMax ? hint : delay;
    }

    /// <summary>A list or watch worked: the next failure starts the sequence over.</summary>
    public void Succeeded()
    {
        _next = Initial;
        Volatile.Write(ref _failingSince, 0);
    }
}
