namespace Operator.Testing.Kubernetes;

/// <summary>
/// Failure modes tests switch on at run time. Rules are checked in order before a request is handled; a matching
/// rule answers with its status (and consumes one of its remaining count).
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];
    private TaskCompletionSource _resume = CompletedGate();
    private TimeSpan _latency;

    internal FaultInjector(Action<bool> dropWatches, Action compact)
    {
        _dropWatches = dropWatches;
        _compact = compact;
    }

    private readonly Action<bool> _dropWatches;
    private readonly Action _compact;

    /// <summary>
    /// Ends every open watch now. <paramref name="abortConnections"/> resets the TCP connections (a network drop);
    /// otherwise the streams end cleanly, as when the server closes a watch.
    /// </summary>
    public void DropWatches(bool abortConnections = false) => _dropWatches(abortConnections);

    internal Func<TimeSpan, TimeSpan, CancellationToken, Task>? Restart { get; set; }

    /// <summary>
    /// Refuses every TCP connection on all endpoints for <paramref name="duration"/>, as an API server restart does:
    /// the listener is really closed and reopened on the same port (see <see cref="KubeApiEmulator.RestartAsync"/>).
    /// <paramref name="gracefulStop"/> keeps open requests (watches) served that long first, as a slow graceful
    /// shutdown does. The task completes when the server listens again.
    /// </summary>
    public Task RefuseConnectionsAsync(TimeSpan duration, TimeSpan gracefulStop = default, CancellationToken cancellationToken = default) =>
        (Restart ?? throw new InvalidOperationException("not attached to an emulator"))(duration, gracefulStop, cancellationToken);

    /// <summary>Forgets the watch history: the next watch or continue from an older resourceVersion gets 410 Expired.</summary>
    public void CompactHistory() => _compact();

    /// <summary>
    /// Answers requests whose path starts with <paramref name="pathPrefix"/> (null: any) and whose Kubernetes verb is
    /// <paramref name="verb"/> (null: any) with <paramref name="statusCode"/> (429, 500, 503 ...), for
    /// <paramref name="times"/> requests or, when null, until <see cref="Clear"/>. 429 carries Retry-After; a 404 on an
    /// object's own path is the real server's "not found" of that object (its Status details name it).
    /// </summary>
    public FaultRule FailRequests(int statusCode, string? pathPrefix = null, string? verb = null, int? times = null, int retryAfterSeconds = 1)
    {
        var rule = new FaultRule(statusCode, pathPrefix, verb, times, retryAfterSeconds);
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    /// <summary>Delay added to every request before it is handled.</summary>
    public TimeSpan Latency
    {
        get { lock (_gate) { return _latency; } }
        set { lock (_gate) { _latency = value; } }
    }

    /// <summary>Holds every new request until <see cref="Resume"/> (requests already running continue).</summary>
    public void Pause()
    {
        lock (_gate)
        {
            if (_resume.Task.IsCompleted)
            {
                _resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _resume.TrySetResult();
        }
    }

    /// <summary>Removes every failure rule, latency and pause.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _latency = TimeSpan.Zero;
            _resume.TrySetResult();
        }
    }

    /// <summary>Requests currently held by <see cref="Pause"/>.</summary>
    public int HeldRequests => Volatile.Read(ref _held);

    private int _held;

    internal async Task WaitIfPausedAsync(CancellationToken ct)
    {
        Task gate;
        TimeSpan latency;
        lock (_gate)
        {
            gate = _resume.Task;
            latency = _latency;
        }

        if (!gate.IsCompleted)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }

        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }
    }

    internal FaultRule? Match(string path, string verb)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if ((rule.PathPrefix is null || path.StartsWith(rule.PathPrefix, StringComparison.Ordinal)) &&
                    (rule.Verb is null || rule.Verb == verb) &&
                    rule.Remaining is null or > 0)
                {
                    if (rule.Remaining is not null)
                    {
                        rule.Remaining--;
                    }

                    rule.Hits++;
                    return rule;
                }
            }

            return null;
        }
    }

    private static TaskCompletionSource CompletedGate()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}

/// <summary>An injected failure; <see cref="Hits"/> counts requests it answered.</summary>
public sealed class FaultRule(int statusCode, string? pathPrefix, string? verb, int? remaining, int retryAfterSeconds)
{
    public int StatusCode { get; } = statusCode;

    public string? PathPrefix { get; } = pathPrefix;

    public string? Verb { get; } = verb;

    public int RetryAfterSeconds { get; } = retryAfterSeconds;

    public int? Remaining { get; internal set; } = remaining;

    public int Hits { get; internal set; }
}
