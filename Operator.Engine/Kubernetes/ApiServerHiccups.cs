using System.Collections.Concurrent;

namespace Operator.Core.Kubernetes;

/// <summary>
/// Decides when an API server failure (<see cref="ApiErrors.IsApiServerHiccup"/>: unreachable, 429, 5xx, or the
/// 401/403 of an authorizer still loading after a start) becomes user-visible. A restarting API server answers these
/// for seconds; reporting them would flip conditions and emit Warning Events for nothing, so a reconciler retries
/// quietly (the work queue's back-off) and reports only once the same object has met them for longer than
/// <see cref="Grace"/> without a pause of more than <see cref="StreakGap"/> (a later, separate hiccup starts anew).
/// Any other failure is reported at once. Thread-safe; streaks not seen for <see cref="StreakGap"/> are dropped once more
/// than 1,000 are kept, so memory is bounded by the objects that met such failures in the last minute (or 1,000).
/// </summary>
internal sealed class ApiServerHiccups(TimeProvider time)
{
    /// <summary>The default <see cref="Grace"/>: longer than a restarting API server answers such failures.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StreakGap = TimeSpan.FromMinutes(1);

    /// <summary>How long one object meets API server failures before they are reported.</summary>
    public TimeSpan Grace { get; init; } = DefaultGrace;

    private readonly ConcurrentDictionary<string, Streak> _streaks = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="failure"/> of <paramref name="key"/> must be reported now.</summary>
    public bool ShouldReport(string key, Exception failure)
    {
        if (!ApiErrors.IsApiServerHiccup(Unwrap(failure)))
        {
            return true;
        }
        var now = time.GetTimestamp();
        var streak = _streaks.AddOrUpdate(key, _ => new Streak(now, now),
            (_, s) => time.GetElapsedTime(s.LastSeen) > StreakGap ? new Streak(now, now) : s with { LastSeen = now });
        if (_streaks.Count > 1_000)
        {
            foreach (var (k, s) in _streaks)
            {
                if (time.GetElapsedTime(s.LastSeen) > StreakGap)
                {
                    _streaks.TryRemove(k, out _);
                }
            }
        }
        return time.GetElapsedTime(streak.Since) >= Grace;
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerException: { } inner } ? inner : e;

    private sealed record Streak(long Since, long LastSeen);
}
