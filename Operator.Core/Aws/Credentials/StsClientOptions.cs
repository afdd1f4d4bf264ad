namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Network limits for every STS call the operator makes. The defaults make a dead endpoint fail within seconds
/// (connect 3 s, each attempt 10 s, 2 retries, the whole call 30 s) instead of the SDK's 100 s timeout with more
/// retries, so a broken provider is reported quickly and never holds a reconcile worker for long. Every STS call
/// runs under <see cref="LimitCall"/>, which is what makes <see cref="CallTimeout"/> hold.
/// </summary>
internal sealed record StsClientOptions
{
    /// <summary>ECS and STS endpoint for providers without spec.endpoint (the operator's --aws-endpoint); null: AWS.</summary>
    public string? DefaultEndpoint { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Limit of one HTTP attempt (the SDK's Timeout).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxErrorRetry { get; init; } = 2;

    /// <summary>Limit of one call: every attempt, the SDK's back-off between them, and credential resolution.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Refresh assumed-role credentials this long before they expire.</summary>
    public TimeSpan PreemptExpiryTime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requested lifetime of assumed-role sessions (STS allows 900 s up to the role's maximum).</summary>
    public TimeSpan SessionDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A token that is cancelled when <paramref name="ct"/> is, or <see cref="CallTimeout"/> after now; dispose it when
    /// the call is over. It runs on the real clock because the SDK's own attempt timeouts, which it bounds, do too.
    /// </summary>
    public CancellationTokenSource LimitCall(CancellationToken ct)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(CallTimeout);
        return limit;
    }
}
