namespace Operator.Testing.Kubernetes;

/// <summary>
/// How <see cref="KubeApiEmulator.RestartAsync(KubeApiRestartOptions?, CancellationToken)"/> restarts the server, phase
/// by phase as a real kube-apiserver v1.32 does on SIGTERM (observed on v1.32.13; the durations there depend on the
/// machine, the defaults here are short so tests stay quick and can be lengthened per test):
/// <list type="number">
/// <item><see cref="ShuttingDownFor"/> (none with <see cref="Kill"/>, which resets every connection instead): every open watch ends (the stream closes cleanly) and every new request, watches
/// included, is answered 503 <c>apiserver is shutting down</c> with <c>Retry-After: 1</c>.</item>
/// <item><see cref="RefuseConnectionsFor"/>: the listener is closed, new TCP connections are refused (counted from
/// the end of the shutdown phase).</item>
/// <item>Started, with windows counted from the moment it listens again: for <see cref="AuthorizationNotReadyFor"/>
/// every request of a user outside <c>system:masters</c> gets the RBAC 403 (RBAC's informers have not synced: reads
/// and writes alike); for <see cref="HandlersNotInstalledFor"/> resource requests that pass authorization get 503
/// <c>the request has been made before all known HTTP paths have been installed, please try again</c> with
/// <c>Retry-After: 5</c>; for <see cref="StorageInitializingFor"/> lists and watches (served by the watch cache)
/// get 429 <c>storage is (re)initializing</c> with <c>Retry-After: 1</c>; gets and writes are served.</item>
/// </list>
/// Unless <see cref="KeepWatchHistory"/>, the watch history is lost as the real watch cache loses it: a watch resumed
/// from a resourceVersion older than the restart gets HTTP 200 and one ERROR event with a 410 <c>Expired</c> Status,
/// and a relist returns every object again with its resourceVersion unchanged (the objects themselves are kept, as
/// etcd keeps them).
/// </summary>
public sealed record KubeApiRestartOptions
{
    /// <summary>The graceful shutdown before the listener closes (real: tens of milliseconds here).</summary>
    public TimeSpan ShuttingDownFor { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long new connections are refused (real: the process restart, several seconds).</summary>
    public TimeSpan RefuseConnectionsFor { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>403 for users outside system:masters after start (real: 0.25 to 1.3 s).</summary>
    public TimeSpan AuthorizationNotReadyFor { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>503 with Retry-After 5 for authorized resource requests after start (real: 0.2 to 1.2 s).</summary>
    public TimeSpan HandlersNotInstalledFor { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>429 <c>storage is (re)initializing</c> for lists and watches after start (real: about 0.2 s).</summary>
    public TimeSpan StorageInitializingFor { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A SIGKILL instead of a SIGTERM: no shutdown phase (no 503), every open connection, watches included, is reset at
    /// once (observed on v1.32.13: the watch stream breaks mid-response, then connections are refused).
    /// </summary>
    public bool Kill { get; init; }

    /// <summary>True keeps the watch history across the restart (no real apiserver does).</summary>
    public bool KeepWatchHistory { get; init; }

    /// <summary>Only the listener restarts: no shutdown answers, no windows, history kept (the legacy restart).</summary>
    public static KubeApiRestartOptions ListenerOnly(TimeSpan refuseFor) => new()
    {
        ShuttingDownFor = TimeSpan.Zero,
        RefuseConnectionsFor = refuseFor,
        AuthorizationNotReadyFor = TimeSpan.Zero,
        HandlersNotInstalledFor = TimeSpan.Zero,
        StorageInitializingFor = TimeSpan.Zero,
        KeepWatchHistory = true,
    };
}
