namespace Operator.Core.Runtime;

/// <summary>Something the manager runs until shutdown: an informer or a controller.</summary>
internal interface IRunnable
{
    string Name { get; }

    /// <summary>Runs until <paramref name="ct"/> is cancelled; returning or faulting earlier is fatal for the process.</summary>
    Task RunAsync(CancellationToken ct);
}

/// <summary>An informer: it runs on every replica (so a new leader starts warm) and gates readiness.</summary>
internal interface ISyncingRunnable : IRunnable
{
    bool HasSynced { get; }
}
