using System.Diagnostics;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// Where the server is in a restart (<see cref="KubeApiRestartOptions"/>): shutting down, or within one of the
/// windows after a start. Windows are measured on the monotonic clock (they model real time, whatever
/// <see cref="KubeApiEmulatorOptions.TimeProvider"/> says). Thread-safe; the handler reads it per request.
/// </summary>
internal sealed class ServerLifecycle
{
    private readonly Lock _gate = new();
    private bool _shuttingDown;
    private long _startedAt;
    private KubeApiRestartOptions _windows = KubeApiRestartOptions.ListenerOnly(TimeSpan.Zero);

    public bool ShuttingDown
    {
        get { lock (_gate) { return _shuttingDown; } }
    }

    public void BeginShutdown()
    {
        lock (_gate)
        {
            _shuttingDown = true;
        }
    }

    /// <summary>Listening again: the windows of <paramref name="windows"/> start now.</summary>
    public void Started(KubeApiRestartOptions windows)
    {
        lock (_gate)
        {
            _shuttingDown = false;
            _windows = windows;
            _startedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>RBAC has not loaded its roles: users outside system:masters are denied.</summary>
    public bool AuthorizationNotReady => Within(w => w.AuthorizationNotReadyFor);

    public bool HandlersNotInstalled => Within(w => w.HandlersNotInstalledFor);

    public bool StorageInitializing => Within(w => w.StorageInitializingFor);

    private bool Within(Func<KubeApiRestartOptions, TimeSpan> window)
    {
        lock (_gate)
        {
            return _startedAt != 0 && Stopwatch.GetElapsedTime(_startedAt) < window(_windows);
        }
    }
}
