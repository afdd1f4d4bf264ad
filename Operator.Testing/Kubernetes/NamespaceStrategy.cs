namespace Operator.Testing.Kubernetes;

/// <summary>
/// core/v1 Namespaces: every one carries the immutable <c>kubernetes.io/metadata.name</c> label and phase
/// <c>Active</c> until deleted. A delete does at once what the namespace controller does on a real cluster:
/// it deletes every object in the namespace (each by its own kind's rules) and, while finalizers keep some,
/// leaves the Namespace <c>Terminating</c> (deletionTimestamp set, phase Terminating); <see cref="RegistryStore"/>
/// removes it when its last object goes. No <c>spec.finalizers</c>. DELETE answers the Namespace object.
/// </summary>
internal sealed class NamespaceStrategy : ResourceStrategy
{
    public const string StorageKey = "/namespaces";

    public static readonly NamespaceStrategy Instance = new();

    public override FieldManagement.FieldSet? ResetFields(ResourceType type, string subresource) => StatusResetFields(subresource);

    public override bool DeleteReturnsObject => true;

    protected override void Canonicalize(JsonObject obj, string now)
    {
        var meta = Meta(obj);
        var labels = meta["labels"] as JsonObject ?? new JsonObject();
        labels["kubernetes.io/metadata.name"] = Str(meta["name"]);
        meta["labels"] = labels;
        if (meta["deletionTimestamp"] is null)
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
    }

    public override JsonObject? Delete(RegistryStore store, ResourceType type, JsonObject old)
    {
        var oldMeta = Meta(old);
        var ns = Str(oldMeta["name"])!;
        store.DeleteAllIn(ns);
        if (!store.Objects.AnyInNamespace(ns))
        {
            return base.Delete(store, type, old);
        }

        if (oldMeta["deletionTimestamp"] is not null)
        {
            return old;
        }

        var terminating = (JsonObject)old.DeepClone();
        Meta(terminating)["deletionTimestamp"] = store.Timestamp();
        Meta(terminating)["deletionGracePeriodSeconds"] = 0;
        terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
        store.Objects.Commit(type.StorageKey, "MODIFIED", terminating, old);
        return terminating;
    }
}
