namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Network limits for every STS call the operator makes. The defaults make a dead endpoint fail within seconds
/// (connect 3 s, request 10 s, 2 retries) instead of the SDK's 100 s timeout with more retries, so a broken provider
/// is reported quickly and never holds a reconcile worker for long.
/// </summary>
internal sealed record StsClientOptions
{
    /// <summary>ECS and STS endpoint for providers without spec.endpoint (the operator's --aws-endpoint); null: AWS.</summary>
    public string? DefaultEndpoint { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxErrorRetry { get; init; } = 2;

    /// <summary>Refresh assumed-role credentials this long before they expire.</summary>
    public TimeSpan PreemptExpiryTime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requested lifetime of assumed-role sessions (STS allows 900 s up to the role's maximum).</summary>
    public TimeSpan SessionDuration { get; init; } = TimeSpan.FromHours(1);
}
