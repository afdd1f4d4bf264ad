namespace Operator.Core.Providers;

/// <summary>
/// When a failing AWSProvider is checked again. A provider whose endpoint fails (unreachable, timing out, answering
/// 5xx, throttling or nonsense) is re-checked on a short exponential back-off, <see cref="FirstRecheck"/> doubling up
/// to <see cref="MaxRecheck"/>, so it and its clusters recover within <see cref="MaxRecheck"/> of the endpoint coming
/// back; a problem only a person can fix (keys STS rejects, a denied role, a Secret that is missing, forbidden or
/// malformed) after <see cref="FailureRequeue"/> (the Secret's own watch wakes it sooner); a refusal by the admin's
/// policy or an invalid spec not at all (a spec change, a restart with other flags, or the resync re-checks it).
/// </summary>
internal sealed record ProviderReconcilerOptions
{
    public TimeSpan FirstRecheck { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRecheck { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan FailureRequeue { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>When the provider's namespace or STS endpoint has no free check slot and no wake-up is wired.</summary>
    public TimeSpan BusyRequeue { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The delay before the <paramref name="failures"/>-th consecutive check of a failing endpoint (1-based).</summary>
    public TimeSpan Recheck(int failures)
    {
        var delay = FirstRecheck;
        for (var i = 1; i < failures && delay < MaxRecheck; i++)
        {
            delay += delay;
        }
        return delay < MaxRecheck ? delay : MaxRecheck;
    }
}
