namespace Operator.Core.Runtime;

/// <summary>Something the manager runs until shutdown: an informer, a controller, the drift scanner.</summary>
internal interface IRunnable
{
    string Name { get; }

    /// <summary>Runs until <paramref name="ct"/> is cancelled; returning or faulting earlier is fatal for the process.</summary>
    Task RunAsync(CancellationToken ct);
}

/// <summary>
/// A runnable that finishes its in-flight work when asked to stop (drain) and drops it at once when aborted (a lost
/// Lease). <c>abort</c> may be cancelled while a drain is under way; the runnable must then return promptly.
/// </summary>
internal interface IDrainingRunnable : IRunnable
{
    Task RunAsync(CancellationToken stop, CancellationToken abort);
}

/// <summary>
/// A runnable that serves the others on every replica for the whole life of the process (the Event sender): it starts
/// with the informers and is asked to stop only once every other runnable has returned, so what they emit while they
/// drain is still handled. Returning or faulting before it is asked to stop is fatal, as for any runnable.
/// </summary>
internal interface ISupportRunnable : IRunnable;

/// <summary>An informer: it runs on every replica (so a new leader starts warm) and gates readiness.</summary>
internal interface ISyncingRunnable : IRunnable
{
    bool HasSynced { get; }

    /// <summary>Why the first list has not succeeded yet (e.g. "403 Forbidden"); null when synced or not yet tried.</summary>
    string? SyncError => null;

    /// <summary>How long its watch has been failing (zero while it watches): a synced cache that no longer follows the server.</summary>
    TimeSpan WatchDownFor => TimeSpan.Zero;
}
