namespace Operator.Testing.Kubernetes;

/// <summary>
/// Events of core/v1 and events.k8s.io/v1, one storage (<see cref="ResourceType.StorageKey"/> "events") in the
/// core/v1 shape: events.k8s.io/v1 writes are converted on the way in and its reads on the way out
/// (<see cref="EventConversion"/>), so an event written through one API is read through the other.
/// </summary>
internal sealed class EventStrategy : ResourceStrategy
{
    public const string EventsGroup = "events.k8s.io";

    public static readonly EventStrategy Instance = new();

    public override JsonObject ToServed(ResourceType type, JsonObject stored) =>
        WithTypeFirst(type, type.Group == EventsGroup ? EventConversion.ToEventsV1(stored) : stored);

    public override JsonObject ToStorage(ResourceType type, JsonObject incoming)
    {
        var obj = type.Group == EventsGroup ? EventConversion.ToCore(incoming) : (JsonObject)incoming.DeepClone();
        obj["apiVersion"] = "v1";
        obj["kind"] = type.Kind;
        return obj;
    }
}
