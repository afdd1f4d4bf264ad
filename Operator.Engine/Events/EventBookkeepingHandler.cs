using k8s;
using k8s.Models;
using Operator.Core.Informers;

namespace Operator.Core.Events;

/// <summary>Drops an object's event bookkeeping when the informer sees it deleted, so memory follows live objects.</summary>
internal sealed class EventBookkeepingHandler<T>(IEventRecorder events) : IInformerHandler<T>
    where T : IKubernetesObject<V1ObjectMeta>
{
    public void OnAdd(T obj)
    {
    }

    public void OnUpdate(T oldObj, T newObj)
    {
    }

    public void OnDelete(T obj)
    {
        if (obj.Metadata.Uid is { } uid)
        {
            events.Forget(uid);
        }
    }
}
