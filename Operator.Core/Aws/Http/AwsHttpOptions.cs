namespace Operator.Core.Aws.Http;

/// <summary>
/// How the operator's HTTP connections to ECS and STS are made (<see cref="AwsHttpPools"/>): one connection pool per
/// AWSProvider, at most <see cref="MaxConnectionsPerServer"/> connections to each host from it, no redirects, no
/// cookies, no decompression, and response bodies of at most <see cref="MaxResponseBytes"/>.
/// </summary>
internal sealed record AwsHttpOptions
{
    /// <summary>The default cap of a response body: ECS answers a DescribeClusters of 100 clusters with every
    /// include in well under 1 MiB; STS answers in a few KB.</summary>
    public const long DefaultMaxResponseBytes = 4L * 1024 * 1024;

    /// <summary>Largest ECS or STS response body read, in bytes; a larger one fails the call
    /// (<see cref="AwsHttpRefusedException"/>) and nothing more of it is read (<c>--aws-max-response-bytes</c>).</summary>
    public long MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>Connections one provider's pool may open to one host at once; further requests wait for one.</summary>
    public int MaxConnectionsPerServer { get; init; } = 8;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Connections are replaced this often, so DNS changes (a moved VPC endpoint) are picked up.</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan PooledConnectionIdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a pool that was replaced (its provider's endpoint changed) or forgotten (its provider was
    /// deleted) still serves requests already under way before it is disposed: the longest an AWS call may take.</summary>
    public TimeSpan RetireAfter { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResponseBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerServer, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetireAfter, TimeSpan.Zero);
    }
}
