namespace Operator.Core.Informers;

/// <summary>Fans one informer's notifications out to its handlers, in registration order.</summary>
internal sealed class InformerNotifier<T>
{
    private readonly Lock _gate = new();
    private volatile IInformerHandler<T>[] _handlers = [];

    /// <summary>The registered handlers, in registration order (a snapshot).</summary>
    public IReadOnlyList<IInformerHandler<T>> Handlers => _handlers;

    public void Register(IInformerHandler<T> handler)
    {
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    public void Add(T obj)
    {
        foreach (var h in _handlers)
        {
            h.OnAdd(obj);
        }
    }

    public void Update(T oldObj, T newObj)
    {
        foreach (var h in _handlers)
        {
            h.OnUpdate(oldObj, newObj);
        }
    }

    public void Delete(T obj)
    {
        foreach (var h in _handlers)
        {
            h.OnDelete(obj);
        }
    }
}
