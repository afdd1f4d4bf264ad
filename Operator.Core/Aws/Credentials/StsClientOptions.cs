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

    /// <summary>The clock <see cref="LimitCall"/> measures <see cref="CallTimeout"/> on (the host gives the injected one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// A token that is cancelled when <paramref name="ct"/> is, or <see cref="CallTimeout"/> after now on
    /// <see cref="Time"/>; dispose it when the call is over.
    /// </summary>
    public CallLimit LimitCall(CancellationToken ct) => new(ct, CallTimeout, Time);
}

/// <summary>A caller's token and a deadline in one token (<see cref="StsClientOptions.LimitCall"/>); dispose after the call.</summary>
internal sealed class CallLimit : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _limit;

    public CallLimit(CancellationToken ct, TimeSpan timeout, TimeProvider time)
    {
        _deadline = new CancellationTokenSource(timeout, time);
        _limit = CancellationTokenSource.CreateLinkedTokenSource(ct, _deadline.Token);
    }

    public CancellationToken Token => _limit.Token;

    public void Dispose()
    {
        _limit.Dispose();
        _deadline.Dispose();
    }
}
