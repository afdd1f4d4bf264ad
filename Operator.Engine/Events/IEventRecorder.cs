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
    /// <param name="series">When given, events of this object and reason with the same series are one Event whatever
    /// their message: a repeat updates its count and its message (e.g. one DeletionBlocked Event per blocking reason
    /// while the number of blockers changes). Null: events fold only when their message is the same.</param>
    Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct,
        string? series = null);

    /// <summary>
    /// This replica starts doing the leader's work now: objects created before <paramref name="since"/> may have Events
    /// an earlier leader recorded, which a repeat must fold into (so they are looked up on the server once).
    /// </summary>
    void BeginRecording(DateTimeOffset since)
    {
    }

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
