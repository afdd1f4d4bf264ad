namespace Operator.Testing.Kubernetes;

/// <summary>
/// The rules of one kind, in the role of kube-apiserver's <c>rest.RESTCreateStrategy</c>,
/// <c>RESTUpdateStrategy</c> and <c>RESTDeleteStrategy</c>: how the stored shape is served and how a write is
/// turned into the stored shape, what a create and an update reset or default, what is validated, which change is a
/// new <c>metadata.generation</c>, and what a delete does and answers. This base class is the generic stored object
/// (ConfigMap, Lease, ServiceAccount, Service, Deployment, RBAC ...): kept as sent, no schema, generation counted when
/// <see cref="ResourceType.TracksGeneration"/>. The flow around it (names, namespaces, resourceVersions, conflicts,
/// finalizers, dry-run, commit) is <see cref="RegistryStore"/>'s and the same for every kind.
/// Contract: stateless, one instance may serve several kinds and versions; every method runs under the store's lock
/// and mutates only the object it is given, except the delete hooks, which may commit through the
/// <see cref="RegistryStore"/> they receive.
/// </summary>
internal class ResourceStrategy
{
    /// <summary>System metadata a main-resource update keeps from the stored object whatever the body says.</summary>
    private static readonly string[] SystemMetadata =
        ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "name", "namespace", "managedFields"];

    public static readonly ResourceStrategy Generic = new();

    /// <summary>The stored object as <paramref name="type"/> serves it: a clone with apiVersion and kind first.</summary>
    public virtual JsonObject ToServed(ResourceType type, JsonObject stored) => WithTypeFirst(type, stored);

    /// <summary>A clone of a written object in the stored shape (the caller owns the result).</summary>
    public virtual JsonObject ToStorage(ResourceType type, JsonObject incoming)
    {
        var obj = (JsonObject)incoming.DeepClone();
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        return obj;
    }

    /// <summary>
    /// A new object, after the store set name, uid and creationTimestamp: a status behind a subresource is not
    /// writable on create, a tracked generation starts at 1, then <see cref="Canonicalize"/>.
    /// </summary>
    public void PrepareForCreate(ResourceType type, JsonObject obj, string now)
    {
        if (type.TracksGeneration)
        {
            Meta(obj)["generation"] = 1L;
        }

        if (type.HasStatusSubresource)
        {
            obj.Remove("status");
        }

        Canonicalize(obj, now);
    }

    /// <summary>
    /// A main-resource write: <paramref name="incoming"/> (stored shape, owned by the strategy) with the system
    /// metadata of <paramref name="old"/> and, behind a status subresource, the stored status; then
    /// <see cref="Canonicalize"/>.
    /// </summary>
    public JsonObject PrepareForUpdate(ResourceType type, JsonObject incoming, JsonObject old, string now)
    {
        var oldMeta = Meta(old);
        var meta = Meta(incoming);
        meta.Remove("selfLink");
        foreach (var key in SystemMetadata)
        {
            meta.Remove(key);
            if (oldMeta[key] is { } value)
            {
                meta[key] = value.DeepClone();
            }
        }

        if (type.HasStatusSubresource)
        {
            incoming.Remove("status");
            if (old["status"] is { } status)
            {
                incoming["status"] = status.DeepClone();
            }
        }

        Canonicalize(incoming, now);
        return incoming;
    }

    /// <summary>A /status write: the stored object with only .status taken from <paramref name="incoming"/>.</summary>
    public static JsonObject PrepareForStatusUpdate(JsonObject incoming, JsonObject old)
    {
        var next = (JsonObject)old.DeepClone();
        next.Remove("status");
        if (incoming["status"] is { } status)
        {
            next["status"] = status.DeepClone();
        }

        return next;
    }

    /// <summary>The registry's own normalisation of every create and main-resource update (none for generic objects).</summary>
    protected virtual void Canonicalize(JsonObject obj, string now)
    {
    }

    /// <summary>
    /// Throws 422 (or 400 under strict field validation) when <paramref name="obj"/> may not be stored; may default
    /// and prune it. <paramref name="old"/> is null on create. <paramref name="fromApply"/>: the object is a
    /// server-side apply's result, which the real server defaults but does not decode, so its nulls are not dropped
    /// (a map emptied by the apply's prune is a null, refused by a schema that does not allow it). Generic objects
    /// have no schema here.
    /// </summary>
    public virtual void Validate(ResourceType type, JsonObject obj, JsonObject? old, bool statusWrite, FieldValidation? fields, bool fromApply = false)
    {
    }

    private static readonly FieldManagement.FieldSet StatusOnly = FieldManagement.FieldSet.Of(["status"]);
    private static readonly FieldManagement.FieldSet SpecOnly = FieldManagement.FieldSet.Of(["spec"]);

    /// <summary>
    /// As the real strategies' <c>GetResetFields</c>: the fields a write to the main resource (status, behind a status
    /// subresource) or to /status (spec) resets, which its manager therefore never owns. Null when none.
    /// </summary>
    public virtual FieldManagement.FieldSet? ResetFields(ResourceType type, string subresource) =>
        subresource == "status" ? SpecOnly : type.HasStatusSubresource ? StatusOnly : null;

    /// <summary>The reset fields of a kind whose status the main resource never writes, as Namespaces and CRDs.</summary>
    protected static FieldManagement.FieldSet? StatusResetFields(string subresource) => subresource == "status" ? SpecOnly : StatusOnly;

    /// <summary>As the real strategies' <c>AllowUnconditionalUpdate</c>: false makes a PUT without resourceVersion a 422.</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>Strategic merge patch needs Go struct tags, so custom resources refuse it with 415.</summary>
    public virtual bool SupportsStrategicMergePatch => true;

    /// <summary>DELETE answers the object (custom resources, Namespaces, Services) or a Success Status (other built-ins).</summary>
    public virtual bool DeleteReturnsObject => false;

    /// <summary>
    /// Whether storing <paramref name="next"/> over <paramref name="old"/> is a new generation: for kinds that track
    /// one, any change outside metadata (and outside status when status is a subresource).
    /// </summary>
    public virtual bool IsNewGeneration(ResourceType type, JsonObject next, JsonObject old) =>
        type.TracksGeneration && !JsonNode.DeepEquals(Spec(type, next), Spec(type, old));

    /// <summary>
    /// A delete of a stored object (request or cascade): the generic finalizer rule of
    /// <see cref="RegistryStore.DeleteOrMark"/>. Returns the kept (terminating) object, or null when it is gone.
    /// </summary>
    public virtual JsonObject? Delete(RegistryStore store, ResourceType type, JsonObject old) => store.DeleteOrMark(type, old);

    /// <summary>After a create or an update is committed (not after a delete).</summary>
    public virtual void AfterWrite(RegistryStore store, JsonObject committed)
    {
    }

    /// <summary>After the object is removed from the store.</summary>
    public virtual void AfterDelete(RegistryStore store, JsonObject deleted)
    {
    }

    protected static JsonObject WithTypeFirst(ResourceType type, JsonObject source)
    {
        var result = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind };
        foreach (var (k, v) in source)
        {
            if (k is not ("apiVersion" or "kind"))
            {
                result[k] = v?.DeepClone();
            }
        }

        return result;
    }

    internal static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        meta = new JsonObject();
        obj["metadata"] = meta;
        return meta;
    }

    internal static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonObject Spec(ResourceType type, JsonObject o)
    {
        var c = (JsonObject)o.DeepClone();
        c.Remove("metadata");
        c.Remove("apiVersion");
        c.Remove("kind");
        if (type.HasStatusSubresource)
        {
            c.Remove("status");
        }

        return c;
    }
}
