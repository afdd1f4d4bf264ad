namespace Operator.Core.Informers;

/// <summary>
/// Receives an informer's notifications, after the informer's cache holds the change. Called from the informer's
/// loops: one per watched namespace, and the resync loop, which runs beside them. So calls can overlap (two
/// namespaces, or a resync and a watch event of the same object): implementations must be thread-safe, quick and
/// non-blocking (enqueue keys, drop bookkeeping, nothing more). Handlers of one informer are called in registration
/// order; they must be registered before the informer runs (the host's <c>InformerWiring</c> does).
/// A periodic resync arrives as <see cref="OnUpdate"/> with the same object as old and new.
/// </summary>
internal interface IInformerHandler<in T>
{
    void OnAdd(T obj);
    void OnUpdate(T oldObj, T newObj);

    /// <summary>The last state the cache knew; after a relist it may be older than the real final state.</summary>
    void OnDelete(T obj);
}
