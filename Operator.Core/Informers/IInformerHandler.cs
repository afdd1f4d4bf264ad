namespace Operator.Core.Informers;

/// <summary>
/// Receives an informer's notifications. Called on the informer's own loop, one notification at a time per watched
/// namespace: implementations must be quick and non-blocking (enqueue keys, nothing more).
/// A periodic resync arrives as <see cref="OnUpdate"/> with the same object as old and new.
/// </summary>
internal interface IInformerHandler<in T>
{
    void OnAdd(T obj);
    void OnUpdate(T oldObj, T newObj);

    /// <summary>The last state the cache knew; after a relist it may be older than the real final state.</summary>
    void OnDelete(T obj);
}
