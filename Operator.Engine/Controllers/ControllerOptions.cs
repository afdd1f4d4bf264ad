using Operator.Core.Queue;

namespace Operator.Core.Controllers;

/// <summary>How a controller runs its workers. The defaults are the operator's (<c>--workers</c>, <c>--drain-timeout</c>).</summary>
internal sealed record ControllerOptions
{
    /// <summary>Concurrent reconciles (distinct keys; one key is never reconciled twice at once).</summary>
    public int Workers { get; init; } = 4;

    /// <summary>
    /// On shutdown, in-flight reconciles get this long to finish before they are cancelled (their AWS calls with them).
    /// Short: every reconcile is idempotent and the next leader repeats an interrupted one, while the Lease is
    /// released only after the drain, so a long drain only delays the standby.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public RateLimiterOptions RateLimiting { get; init; } = new();
}
