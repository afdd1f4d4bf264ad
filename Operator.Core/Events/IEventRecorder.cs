using k8s;
using k8s.Models;

namespace Operator.Core.Events;

/// <summary>
/// Records Kubernetes Events about an object. Never throws for API failures (an Event is advice, not state) and never
/// floods: identical events are folded into one with a count, and each object has a spam budget. Returns once the
/// event is queued; it is sent afterwards, retried through short apiserver outages, and a drop is counted and logged.
/// </summary>
internal interface IEventRecorder
{
    Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct);

    /// <summary>Drops what is kept about a deleted object (aggregation and spam budget), by its uid.</summary>
    void Forget(string uid)
    {
    }
}

/// <summary>The core/v1 Event type.</summary>
internal enum EventSeverity
{
    Normal,
    Warning,
}
