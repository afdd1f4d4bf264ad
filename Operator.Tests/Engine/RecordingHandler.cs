using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Engine;

/// <summary>Records every informer notification, in order.</summary>
internal sealed class RecordingHandler : IInformerHandler<ECSCluster>
{
    public ConcurrentQueue<(string Type, string Key, string? ResourceVersion)> Events { get; } = new();

    public void OnAdd(ECSCluster obj) => Events.Enqueue(("add", ObjectKey.Of(obj), obj.Metadata.ResourceVersion));
    public void OnUpdate(ECSCluster oldObj, ECSCluster newObj) =>
        Events.Enqueue((ReferenceEquals(oldObj, newObj) ? "resync" : "update", ObjectKey.Of(newObj), newObj.Metadata.ResourceVersion));
    public void OnDelete(ECSCluster obj) => Events.Enqueue(("delete", ObjectKey.Of(obj), obj.Metadata.ResourceVersion));

    public int Count(string type, string key) => Events.Count(e => e.Type == type && e.Key == key);
}
