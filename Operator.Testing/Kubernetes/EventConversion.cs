namespace Operator.Testing.Kubernetes;

/// <summary>
/// core/v1 Event ⇄ events.k8s.io/v1 Event, so both APIs read and write one store as on a real cluster (kubectl
/// describe reads core/v1 events; an operator may write events.k8s.io/v1). Storage holds the core/v1 shape.
/// </summary>
internal static class EventConversion
{
    private static readonly (string Core, string Events)[] Renames =
    [
        ("involvedObject", "regarding"),
        ("message", "note"),
        ("count", "deprecatedCount"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("source", "deprecatedSource"),
        ("reportingComponent", "reportingController"),
    ];

    public static JsonObject ToCore(JsonObject eventsV1)
    {
        var copy = (JsonObject)eventsV1.DeepClone();
        foreach (var (core, events) in Renames)
        {
            Move(copy, events, core);
        }

        copy["apiVersion"] = "v1";
        return copy;
    }

    public static JsonObject ToEventsV1(JsonObject core)
    {
        var copy = (JsonObject)core.DeepClone();
        foreach (var (c, events) in Renames)
        {
            Move(copy, c, events);
        }

        copy["apiVersion"] = "events.k8s.io/v1";
        return copy;
    }

    private static void Move(JsonObject obj, string from, string to)
    {
        if (obj.TryGetPropertyValue(from, out var value))
        {
            obj.Remove(from);
            obj[to] = value;
        }
    }
}
