namespace Operator.Core.Aws.Http;

/// <summary>
/// One <see cref="AwsHttpPool"/> per AWSProvider (keyed "namespace/name"), so that tenants never share a connection:
/// a request one provider's credentials or endpoint corrupted can only ever reach that provider's own connections.
/// Every client of a pool goes through <see cref="AwsHttpGuard"/> (no header with CR/LF, no redirect, bounded bodies).
/// A pool is replaced when its provider's endpoint changes and dropped by <see cref="Forget"/> when the provider goes;
/// a replaced or dropped pool keeps serving the calls already under way for <see cref="AwsHttpOptions.RetireAfter"/>
/// (the longest a call may take), then is disposed with its connections. Thread-safe; dispose the registry at
/// shutdown.
/// </summary>
internal sealed class AwsHttpPools : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AwsHttpPool> _pools = new(StringComparer.Ordinal);
    private readonly List<(ITimer Timer, AwsHttpPool Pool)> _retiring = [];
    private readonly AwsHttpOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<HttpMessageHandler, HttpClient> _sts;
    private bool _disposed;

    /// <param name="sts">Builds a pool's STS client on its guarded handler (its time-out, the attempt counter); the
    /// client must not dispose the handler. Default: a plain client with a 10 s time-out.</param>
    public AwsHttpPools(AwsHttpOptions options, TimeProvider time, Func<HttpMessageHandler, HttpClient>? sts = null)
    {
        options.Validate();
        _options = options;
        _time = time;
        _sts = sts ?? (handler => new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) });
    }

    public AwsHttpOptions Options => _options;

    /// <summary>Pools in use (not retired), for tests and diagnostics.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pools.Count;
            }
        }
    }

    /// <summary>
    /// The pool of <paramref name="providerKey"/> for <paramref name="endpoint"/> (null: AWS's own endpoints). A pool
    /// built for another endpoint is retired and a new one built.
    /// </summary>
    public AwsHttpPool For(string providerKey, string? endpoint)
    {
        var key = EndpointKey(endpoint);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pools.TryGetValue(providerKey, out var pool))
            {
                if (pool.Endpoint == key)
                {
                    return pool;
                }
                Retire(pool);
            }
            pool = new AwsHttpPool(providerKey, key, _options, _sts);
            _pools[providerKey] = pool;
            return pool;
        }
    }

    /// <summary>Drops the pool of a provider that is gone (disposed once the calls under way had their time).</summary>
    public void Forget(string providerKey)
    {
        lock (_gate)
        {
            if (_pools.Remove(providerKey, out var pool))
            {
                Retire(pool);
            }
        }
    }

    /// <summary>What identifies an endpoint for a pool: scheme, host and port, or "aws" for AWS's own endpoints.</summary>
    public static string EndpointKey(string? endpoint) =>
        string.IsNullOrEmpty(endpoint) ? "aws"
        : Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
        : endpoint;

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var pool in _pools.Values)
            {
                pool.Dispose();
            }
            _pools.Clear();
            foreach (var (timer, pool) in _retiring)
            {
                timer.Dispose();
                pool.Dispose();
            }
            _retiring.Clear();
        }
    }

    // Called under the gate, which the timer's callback takes too: it runs only once the entry is in the list.
    // AwsHttpPool.Dispose is idempotent, so a registry disposed meanwhile disposes nothing twice.
    private void Retire(AwsHttpPool pool)
    {
        _pools.Remove(pool.ProviderKey);
        (ITimer Timer, AwsHttpPool Pool) entry = default;
        var timer = _time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                _retiring.Remove(entry);
            }
            pool.Dispose();
            entry.Timer?.Dispose();
        }, null, _options.RetireAfter, Timeout.InfiniteTimeSpan);
        entry = (timer, pool);
        _retiring.Add(entry);
    }
}
