namespace Operator.Core.Aws.Http;

/// <summary>
/// One AWSProvider's HTTP connections: a socket handler of its own (so no connection, and no byte of a request, is
/// ever shared with another provider) behind an <see cref="AwsHttpGuard"/>, and the two clients built on it:
/// <see cref="Ecs"/> (no time-out of its own: the resilience pipeline bounds each attempt) and <see cref="Sts"/>
/// (for the AWS SDK's STS client). Built and disposed by <see cref="AwsHttpPools"/> only.
/// </summary>
internal sealed class AwsHttpPool : IDisposable
{
    private readonly AwsHttpGuard _guard;
    private int _disposed;

    internal AwsHttpPool(string providerKey, string endpoint, AwsHttpOptions options, Func<HttpMessageHandler, HttpClient> sts)
    {
        ProviderKey = providerKey;
        Endpoint = endpoint;
        _guard = new AwsHttpGuard(options.MaxResponseBytes)
        {
            InnerHandler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                MaxConnectionsPerServer = options.MaxConnectionsPerServer,
                ConnectTimeout = options.ConnectTimeout,
                PooledConnectionLifetime = options.PooledConnectionLifetime,
                PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            },
        };
        Ecs = new HttpClient(_guard, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        Sts = sts(_guard);
    }

    public string ProviderKey { get; }

    /// <summary>The endpoint the pool was built for (<see cref="AwsHttpPools.EndpointKey"/>).</summary>
    public string Endpoint { get; }

    public HttpClient Ecs { get; }

    public HttpClient Sts { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Ecs.Dispose();
            Sts.Dispose();
            _guard.Dispose(); // and the socket handler with its connections
        }
    }
}
