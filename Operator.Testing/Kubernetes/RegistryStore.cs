using System.Security.Cryptography;
using Operator.Testing.Kubernetes.Validation;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// The write and read flow every kind shares, in the role of kube-apiserver's <c>genericregistry.Store</c>: kind and
/// apiVersion checks, names and <c>generateName</c>, the namespace lifecycle (no object in a missing or terminating
/// namespace; a terminating namespace goes when its last object goes), resourceVersion preconditions and conflicts,
/// finalizers and <c>deletionTimestamp</c> (a new generation for kinds that track one), no-op writes, dry-run, and
/// consistent paged lists. What differs per kind is asked of <see cref="ResourceType.Strategy"/>; the objects,
/// resourceVersions and watch fan-out are <see cref="ObjectStore"/>'s.
/// Contract: the caller holds <see cref="ObjectStore.Gate"/> around every call, so each read-modify-write is atomic;
/// every returned object is a fresh clone in the served shape, which the caller may keep or change.
/// </summary>
internal sealed class RegistryStore(ObjectStore objects, ResourceRegistry registry, TimeProvider time)
{
    private const int MaxSnapshots = 128;

    private readonly FieldManagement.FieldManager _fieldManager = new(time);

    /// <summary>Computes the managedFields of writes and runs server-side apply (used under the store's lock).</summary>
    public FieldManagement.FieldManager FieldManager => _fieldManager;

    private readonly Dictionary<string, ListSnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly Queue<string> _snapshotOrder = new();

    public ObjectStore Objects => objects;

    public ResourceRegistry Registry => registry;

    public string Timestamp() => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Serve(ResourceType type, JsonObject stored) => type.Strategy.ToServed(type, stored);

    public JsonObject Get(ResourceType type, string? ns, string name) =>
        Serve(type, objects.Get(type.StorageKey, ns, name) ?? throw NotFound(type, name));

    private static string? Str(JsonNode? node) => ResourceStrategy.Str(node);

    private static JsonObject Meta(JsonObject obj) => ResourceStrategy.Meta(obj);

    private static void CheckKind(ResourceType type, JsonObject body)
    {
        var apiVersion = Str(body["apiVersion"]);
        var kind = Str(body["kind"]);
        if (kind is not null && kind != type.Kind)
        {
            throw KubeStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion}) or kind ({kind}) does not match {type.Kind}");
        }

        if (apiVersion is not null && apiVersion != type.ApiVersion)
        {
            throw KubeStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject body, bool dryRun, FieldValidation? fields = null, WriteOwner? owner = null)
    {
        owner ??= WriteOwner.Server;
        CheckKind(type, body);
        var (requestedPresent, requested) = RequestedManagedFields(body);
        var strategy = type.Strategy;
        var obj = strategy.ToStorage(type, body);
        var meta = Meta(obj);
        if (type.Namespaced)
        {
            var bodyNs = Str(meta["namespace"]);
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
            {
                throw KubeStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            meta["namespace"] = ns;
        }
        else
        {
            meta.Remove("namespace");
        }

        var name = Str(meta["name"]);
        if (string.IsNullOrEmpty(name))
        {
            var generateName = Str(meta["generateName"]);
            if (string.IsNullOrEmpty(generateName))
            {
                throw KubeStatus.Invalid(type.Group, type.Kind, "",
                    [new FieldError("metadata.name", "FieldValueRequired", "metadata.name: Required value: name or generateName is required")]);
            }

            do
            {
                name = generateName + RandomSuffix();
            }
            while (objects.Get(type.StorageKey, ns, name) is not null);
            meta["name"] = name;
        }

        if (type.Namespaced)
        {
            var nsObj = objects.Get(NamespaceStrategy.StorageKey, null, ns!) ?? throw KubeStatus.NamespaceNotFound(ns!);
            if (nsObj["metadata"]?["deletionTimestamp"] is not null)
            {
                throw KubeStatus.Forbidden(type.Group, type.Plural, name,
                    $"unable to create new content in namespace {ns} because it is being terminated");
            }
        }

        if (objects.Get(type.StorageKey, ns, name) is not null)
        {
            throw KubeStatus.AlreadyExists(type.Group, type.Plural, name);
        }

        foreach (var key in new[] { "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields" })
        {
            meta.Remove(key);
        }

        var now = Timestamp();
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = now;
        strategy.PrepareForCreate(type, obj, now);
        strategy.Validate(type, obj, null, statusWrite: false, fields, owner.Applied);
        SetManagedFields(obj, owner.Applied
            ? requested?.DeepClone() as JsonArray
            : _fieldManager.Update(type, null, obj, requested, requestedPresent, owner.Manager, ""));
        if (dryRun)
        {
            return Serve(type, obj);
        }

        objects.Commit(type.StorageKey, "ADDED", obj, null);
        strategy.AfterWrite(this, obj);
        return Serve(type, obj);
    }

    /// <summary>
    /// PUT and PATCH (<paramref name="produce"/> applies the patch to the served current object). /status writes take
    /// only .status from the result; main writes take everything but system metadata and, with a status
    /// subresource, .status. <paramref name="requireRv"/> refuses a write without metadata.resourceVersion.
    /// </summary>
    public JsonObject Update(ResourceType type, string? ns, string name, string subresource, Func<JsonObject, JsonObject> produce, bool dryRun, bool requireRv, FieldValidation? fields = null, WriteOwner? owner = null)
    {
        owner ??= WriteOwner.Server;
        var strategy = type.Strategy;
        var old = objects.Get(type.StorageKey, ns, name) ?? throw NotFound(type, name);
        var incoming = produce(Serve(type, old));
        CheckKind(type, incoming);
        var (requestedPresent, requested) = RequestedManagedFields(incoming);
        var inc = strategy.ToStorage(type, incoming);
        var incMeta = Meta(inc);
        var incName = Str(incMeta["name"]);
        if (!string.IsNullOrEmpty(incName) && incName != name)
        {
            throw KubeStatus.BadRequest($"the name of the object ({incName}) does not match the name on the URL ({name})");
        }

        var incNs = Str(incMeta["namespace"]);
        if (type.Namespaced && !string.IsNullOrEmpty(incNs) && incNs != ns)
        {
            throw KubeStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var oldMeta = (JsonObject)old["metadata"]!;
        var rv = Str(incMeta["resourceVersion"]);
        if (string.IsNullOrEmpty(rv) && requireRv)
        {
            throw KubeStatus.Invalid(type.Group, type.Kind, name,
                [new FieldError("metadata.resourceVersion", "FieldValueInvalid", "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update")]);
        }

        if (!string.IsNullOrEmpty(rv) && rv != Str(oldMeta["resourceVersion"]))
        {
            throw KubeStatus.Conflict(type.Group, type.Plural, name, KubeStatus.ModifiedConflict);
        }

        var statusWrite = subresource == "status";
        var next = statusWrite
            ? ResourceStrategy.PrepareForStatusUpdate(inc, old)
            : strategy.PrepareForUpdate(type, inc, old, Timestamp());

        var nextMeta = Meta(next);
        if (oldMeta["deletionTimestamp"] is not null)
        {
            var before = Finalizers(oldMeta);
            var added = Finalizers(nextMeta).Where(f => !before.Contains(f)).ToList();
            if (added.Count > 0)
            {
                var list = string.Join(", ", added.Select(f => $"\"{f}\""));
                throw KubeStatus.Invalid(type.Group, type.Kind, name,
                    [new FieldError("metadata.finalizers", "FieldValueForbidden", $"metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{list}}}")]);
            }
        }

        strategy.Validate(type, next, old, statusWrite, fields, owner.Applied);
        SetManagedFields(next, owner.Applied
            ? requested?.DeepClone() as JsonArray
            : _fieldManager.Update(type, old, next, requested, requestedPresent, owner.Manager, subresource));
        if (JsonNode.DeepEquals(next, old))
        {
            return Serve(type, old);
        }

        if (strategy.IsNewGeneration(type, next, old))
        {
            nextMeta["generation"] = (JsonPaths.GetLong(oldMeta["generation"]) ?? 0) + 1;
        }

        if (dryRun)
        {
            return Serve(type, next);
        }

        if (nextMeta["deletionTimestamp"] is not null && Finalizers(nextMeta).Count == 0)
        {
            objects.Commit(type.StorageKey, "DELETED", next, old);
            AfterDelete(type, next);
            return Serve(type, next);
        }

        objects.Commit(type.StorageKey, "MODIFIED", next, old);
        strategy.AfterWrite(this, next);
        return Serve(type, next);
    }

    /// <summary>
    /// DELETE with optional DeleteOptions (uid and resourceVersion preconditions). The strategy decides what a
    /// delete does (<see cref="ResourceStrategy.Delete"/>) and whether the answer is the object or a Status.
    /// </summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, JsonObject? options, bool dryRun)
    {
        var old = objects.Get(type.StorageKey, ns, name) ?? throw NotFound(type, name);
        var oldMeta = (JsonObject)old["metadata"]!;
        if (options?["preconditions"] is JsonObject pre)
        {
            if (Str(pre["uid"]) is { } uid && uid != Str(oldMeta["uid"]))
            {
                throw KubeStatus.Conflict(type.Group, type.Plural, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Str(oldMeta["uid"])}");
            }

            if (Str(pre["resourceVersion"]) is { } rv && rv != Str(oldMeta["resourceVersion"]))
            {
                throw KubeStatus.Conflict(type.Group, type.Plural, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {Str(oldMeta["resourceVersion"])}");
            }
        }

        if (dryRun)
        {
            return Serve(type, old);
        }

        var result = type.Strategy.Delete(this, type, old);
        if (result is not null)
        {
            return Serve(type, result);
        }

        return type.Strategy.DeleteReturnsObject
            ? Serve(type, old)
            : KubeStatus.Success(name, type.Group, type.Plural, Str(oldMeta["uid"]));
    }

    /// <summary>
    /// The generic delete: with finalizers, sets deletionTimestamp once (as the apiserver's BeforeDelete, a new
    /// generation for objects that track one) and keeps the object; without, removes it. Returns the kept object or
    /// null when it is gone.
    /// </summary>
    public JsonObject? DeleteOrMark(ResourceType type, JsonObject old)
    {
        var oldMeta = (JsonObject)old["metadata"]!;
        if (Finalizers(oldMeta).Count > 0)
        {
            if (oldMeta["deletionTimestamp"] is not null)
            {
                return old;
            }

            var next = (JsonObject)old.DeepClone();
            Meta(next)["deletionTimestamp"] = Timestamp();
            Meta(next)["deletionGracePeriodSeconds"] = 0;
            if (JsonPaths.GetLong(oldMeta["generation"]) is > 0 and var generation)
            {
                Meta(next)["generation"] = generation + 1;
            }

            objects.Commit(type.StorageKey, "MODIFIED", next, old);
            return next;
        }

        var deleted = (JsonObject)old.DeepClone();
        objects.Commit(type.StorageKey, "DELETED", deleted, old);
        AfterDelete(type, deleted);
        return null;
    }

    /// <summary>Deletes every object in namespace <paramref name="ns"/>, each by its own kind's strategy.</summary>
    public void DeleteAllIn(string ns)
    {
        foreach (var key in objects.StorageKeys)
        {
            var type = registry.ForStorageKey(key);
            foreach (var child in objects.List(key, ns).ToList())
            {
                if (type is null)
                {
                    objects.Commit(key, "DELETED", (JsonObject)child.DeepClone(), child);
                }
                else
                {
                    type.Strategy.Delete(this, type, child);
                }
            }
        }
    }

    /// <summary>The kind's hook, then the namespace lifecycle: a terminating namespace goes with its last object.</summary>
    private void AfterDelete(ResourceType type, JsonObject deleted)
    {
        type.Strategy.AfterDelete(this, deleted);
        if (Str(deleted["metadata"]?["namespace"]) is { Length: > 0 } ns &&
            objects.Get(NamespaceStrategy.StorageKey, null, ns) is { } nsObj &&
            nsObj["metadata"]?["deletionTimestamp"] is not null &&
            !objects.AnyInNamespace(ns))
        {
            objects.Commit(NamespaceStrategy.StorageKey, "DELETED", (JsonObject)nsObj.DeepClone(), nsObj);
        }
    }

    /// <summary>Whether the written object carried metadata.managedFields, and their value.</summary>
    private static (bool Present, JsonNode? Value) RequestedManagedFields(JsonObject body) =>
        body["metadata"] is JsonObject meta && meta.TryGetPropertyValue("managedFields", out var value) ? (true, value) : (false, null);

    private static void SetManagedFields(JsonObject obj, JsonArray? managedFields)
    {
        if (managedFields is null)
        {
            Meta(obj).Remove("managedFields");
        }
        else
        {
            Meta(obj)["managedFields"] = managedFields;
        }
    }

    private static List<string> Finalizers(JsonObject meta) =>
        meta["finalizers"] is JsonArray arr ? arr.Select(f => Str(f) ?? "").ToList() : [];

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    /// <summary>
    /// LIST with selectors and limit/continue paging. A paged list is served from a snapshot taken at the first
    /// page, so every page reflects one resourceVersion; the snapshot expires with compaction (410 on continue).
    /// </summary>
    public ListPage List(ResourceType type, string? ns, ListRequest request)
    {
        long rv;
        List<JsonObject> items;
        int offset;
        var continueToken = request.Continue;
        if (!string.IsNullOrEmpty(continueToken))
        {
            var (id, off) = DecodeContinue(continueToken);
            if (!_snapshots.TryGetValue(id, out var snap) || snap.Rv < objects.CompactedRv)
            {
                throw KubeStatus.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }

            (rv, items, offset) = (snap.Rv, snap.Items, off);
        }
        else
        {
            var rvParam = request.ResourceVersion;
            if (request.ResourceVersionMatch == "Exact" && long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var exact) && exact != objects.CurrentRv)
            {
                throw KubeStatus.Expired($"too old resource version: {exact} ({objects.CompactedRv + 1})");
            }

            if (long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var minimum) && minimum > objects.CurrentRv)
            {
                throw KubeStatus.TooLargeResourceVersion(minimum, objects.CurrentRv);
            }

            rv = objects.CurrentRv;
            items = objects.List(type.StorageKey, ns).Select(o => Serve(type, o)).Where(o => request.Labels.Matches(o) && request.Fields.Matches(o)).ToList();
            offset = 0;
        }

        string? next = null;
        var page = items;
        if (request.Limit > 0 && items.Count - offset > request.Limit)
        {
            page = items.GetRange(offset, request.Limit);
            var id = string.IsNullOrEmpty(continueToken) ? Guid.NewGuid().ToString("N") : DecodeContinue(continueToken).Id;
            if (!_snapshots.ContainsKey(id))
            {
                _snapshots[id] = new ListSnapshot(rv, items);
                _snapshotOrder.Enqueue(id);
                while (_snapshotOrder.Count > MaxSnapshots)
                {
                    _snapshots.Remove(_snapshotOrder.Dequeue());
                }
            }

            next = EncodeContinue(id, offset + request.Limit);
        }
        else if (offset > 0)
        {
            page = items.GetRange(offset, items.Count - offset);
        }

        return new ListPage(rv.ToString(CultureInfo.InvariantCulture), [.. page.Select(o => o.DeepClone().AsObject())], next, items.Count - offset - page.Count);
    }

    /// <summary>Forgets watch history and list snapshots: older watches and continues get 410.</summary>
    public void Compact()
    {
        objects.Compact();
        _snapshots.Clear();
        _snapshotOrder.Clear();
    }

    private static string EncodeContinue(string id, int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id, ["off"] = offset }.ToJsonString()));

    private static (string Id, int Offset) DecodeContinue(string token)
    {
        try
        {
            var node = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))!;
            return (node["id"]!.GetValue<string>(), (int)(JsonPaths.GetLong(node["off"]) ?? 0));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            throw KubeStatus.BadRequest($"continue key is not valid: {e.Message}");
        }
    }

    private static KubeApiException NotFound(ResourceType type, string name) => KubeStatus.NotFound(type.Group, type.Plural, name);

    private sealed record ListSnapshot(long Rv, List<JsonObject> Items);
}

/// <summary>
/// Who makes a write, for its managedFields: <see cref="Manager"/> (the fieldManager parameter or the User-Agent's
/// product) records an Update; <see cref="Applied"/> means the written object already carries the managedFields a
/// server-side apply computed, stored as they are.
/// </summary>
internal sealed record WriteOwner(string Manager, bool Applied = false)
{
    /// <summary>Writes the emulator makes itself (the initial namespaces, CRDs registered from code).</summary>
    public static readonly WriteOwner Server = new("kube-apiserver");
}

/// <summary>A LIST's parameters, parsed from the query by the handler.</summary>
internal sealed record ListRequest(LabelSelector Labels, FieldSelector Fields, int Limit, string? Continue, string? ResourceVersion, string? ResourceVersionMatch);

/// <summary>One page of a LIST: <see cref="Continue"/> is null on the last page; <see cref="Remaining"/> counts the items after it.</summary>
internal sealed record ListPage(string ResourceVersion, IReadOnlyList<JsonObject> Items, string? Continue, int Remaining);
