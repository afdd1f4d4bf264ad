namespace Operator.Testing.Kubernetes;

/// <summary>
/// apiextensions.k8s.io/v1 CustomResourceDefinitions. Every create or update gets the status the CRD controllers
/// would write at once (<c>NamesAccepted</c> and <c>Established</c> True, <c>acceptedNames</c> defaulted,
/// <c>storedVersions</c>), and serves the CRD's resources from the committed object (re-registering every served
/// version). Deleting one stops serving its resources and deletes all their objects, finalizers or not (the real
/// server's CRD finalizer does the same, asynchronously). The schema itself is not validated here.
/// </summary>
internal sealed class CustomResourceDefinitionStrategy : ResourceStrategy
{
    public const string StorageKey = "apiextensions.k8s.io/customresourcedefinitions";

    public static readonly CustomResourceDefinitionStrategy Instance = new();

    public override FieldManagement.FieldSet? ResetFields(ResourceType type, string subresource) => StatusResetFields(subresource);

    protected override void Canonicalize(JsonObject obj, string now)
    {
        var names = obj["spec"]?["names"]?.DeepClone() as JsonObject ?? new JsonObject();
        names["singular"] ??= (Str(names["kind"]) ?? "").ToLowerInvariant();
        names["listKind"] ??= Str(names["kind"]) + "List";
        var stored = new JsonArray();
        foreach (var v in obj["spec"]?["versions"]?.AsArray() ?? [])
        {
            if (v?["storage"]?.GetValue<bool>() == true)
            {
                stored.Add(Str(v["name"]));
            }
        }

        obj["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now)),
            ["acceptedNames"] = names,
            ["storedVersions"] = stored,
        };
    }

    public override void AfterWrite(RegistryStore store, JsonObject committed) => store.Registry.RegisterCrd(committed);

    public override void AfterDelete(RegistryStore store, JsonObject deleted)
    {
        var group = Str(deleted["spec"]?["group"]) ?? "";
        var plural = Str(deleted["spec"]?["names"]?["plural"]) ?? "";
        store.Registry.UnregisterCrd(group, plural);
        foreach (var obj in store.Objects.List($"{group}/{plural}", null).ToList())
        {
            store.Objects.Commit($"{group}/{plural}", "DELETED", (JsonObject)obj.DeepClone(), obj);
        }
    }

    private static JsonObject Condition(string type, string reason, string message, string now) =>
        new() { ["type"] = type, ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message };
}
