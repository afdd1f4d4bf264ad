namespace Operator.Core.Controllers;

/// <summary>
/// Confirms many objects with AWS at once instead of reconciling them one by one, for a controller's initial sync
/// (process start or a new leader). Contract: <see cref="Covers"/> is a pure function of the cached object and says
/// the object is converged for its current generation (so a reconcile of it would only re-read AWS);
/// <see cref="ConfirmAsync"/> runs once, after the controller's workers started, reads the controller's whole cache
/// and must leave every covered object either confirmed (AWS agrees with its spec and status) or queued on the
/// controller — including objects it cannot check (a refused provider, a failed batch). If it throws, the controller
/// queues every object instead.
/// </summary>
internal interface IBulkConfirmation<in T>
{
    bool Covers(T obj);

    Task ConfirmAsync(CancellationToken ct);
}
