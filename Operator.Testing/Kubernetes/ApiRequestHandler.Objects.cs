using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Operator.Testing.Kubernetes.Validation;

namespace Operator.Testing.Kubernetes;

/// <summary>Object semantics: create/update/delete/list rules. Every method here runs under the store's lock.</summary>
internal sealed partial class ApiRequestHandler
{
    private static readonly string[] SystemMetadata =
        ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "name", "namespace", "managedFields"];

    /// <summary>The object as <paramref name="type"/> serves it: a clone with apiVersion and kind first.</summary>
    internal JsonObject Serve(ResourceType type, JsonObject stored)
    {
        var source = type.Group == "events.k8s.io" ? EventConversion.ToEventsV1(stored) : stored;
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

    private static JsonObject ToStorage(ResourceType type, JsonObject incoming)
    {
        var obj = type.Group == "events.k8s.io" ? EventConversion.ToCore(incoming) : (JsonObject)incoming.DeepClone();
        obj["apiVersion"] = type.Group == "events.k8s.io" ? "v1" : type.ApiVersion;
        obj["kind"] = type.Kind;
        return obj;
    }

    private static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        meta = new JsonObject();
        obj["metadata"] = meta;
        return meta;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

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

    internal JsonObject Create(ResourceType type, string? ns, JsonObject body, bool dryRun, FieldValidation? fields = null)
    {
        CheckKind(type, body);
        var obj = ToStorage(type, body);
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
            while (_store.Get(type.StorageKey, ns, name) is not null);
            meta["name"] = name;
        }

        if (type.Namespaced)
        {
            var nsObj = _store.Get(NamespaceStorageKey, null, ns!) ?? throw KubeStatus.NamespaceNotFound(ns!);
            if (nsObj["metadata"]?["deletionTimestamp"] is not null)
            {
                throw KubeStatus.Forbidden(type.Group, type.Plural, name,
                    $"unable to create new content in namespace {ns} because it is being terminated");
            }
        }

        if (_store.Get(type.StorageKey, ns, name) is not null)
        {
            throw KubeStatus.AlreadyExists(type.Group, type.Plural, name);
        }

        foreach (var key in new[] { "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields" })
        {
            meta.Remove(key);
        }

        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Timestamp();
        if (type.TracksGeneration)
        {
            meta["generation"] = 1L;
        }

        if (type.HasStatusSubresource)
        {
            obj.Remove("status");
        }

        Normalize(type, obj);
        Validate(type, obj, null, statusWrite: false, fields);
        if (dryRun)
        {
            return Serve(type, obj);
        }

        _store.Commit(type.StorageKey, "ADDED", obj, null);
        if (type.StorageKey == CrdStorageKey)
        {
            _registry.RegisterCrd(obj);
        }

        return Serve(type, obj);
    }

    /// <summary>
    /// PUT and PATCH (after the patch is applied to the current object). /status writes take only .status from the
    /// incoming object; main writes take everything but system metadata and, with a status subresource, .status.
    /// </summary>
    internal JsonObject Update(ResourceType type, string? ns, string name, string subresource, Func<JsonObject, JsonObject> produce, bool dryRun, bool requireRv, FieldValidation? fields = null)
    {
        var old = _store.Get(type.StorageKey, ns, name) ?? throw NotFound(type, name);
        var incoming = produce(Serve(type, old));
        CheckKind(type, incoming);
        var inc = ToStorage(type, incoming);
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

        JsonObject next;
        if (subresource == "status")
        {
            next = (JsonObject)old.DeepClone();
            next.Remove("status");
            if (inc["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
        }
        else
        {
            next = inc;
            var meta = Meta(next);
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
                next.Remove("status");
                if (old["status"] is { } status)
                {
                    next["status"] = status.DeepClone();
                }
            }

            Normalize(type, next);
        }

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

        Validate(type, next, old, statusWrite: subresource == "status", fields);
        if (JsonNode.DeepEquals(next, old))
        {
            return Serve(type, old);
        }

        if (type.TracksGeneration && !SpecEquals(type, next, old))
        {
            nextMeta["generation"] = (JsonPaths.GetLong(oldMeta["generation"]) ?? 0) + 1;
        }

        if (dryRun)
        {
            return Serve(type, next);
        }

        if (nextMeta["deletionTimestamp"] is not null && Finalizers(nextMeta).Count == 0)
        {
            _store.Commit(type.StorageKey, "DELETED", next, old);
            AfterDelete(type, next);
            return Serve(type, next);
        }

        _store.Commit(type.StorageKey, "MODIFIED", next, old);
        if (type.StorageKey == CrdStorageKey)
        {
            _registry.RegisterCrd(next);
        }

        return Serve(type, next);
    }

    /// <summary>
    /// With finalizers: marks deletionTimestamp (once) and keeps the object; otherwise removes it. Custom resources
    /// answer with the object, built-ins with a Success Status, as the real registries do.
    /// </summary>
    internal JsonObject Delete(ResourceType type, string? ns, string name, JsonObject? options, bool dryRun)
    {
        var old = _store.Get(type.StorageKey, ns, name) ?? throw NotFound(type, name);
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

        var result = DeleteStored(type.StorageKey, old);
        if (result is not null)
        {
            return Serve(type, result);
        }

        return type.IsCustom || type.StorageKey == NamespaceStorageKey
            ? Serve(type, old)
            : KubeStatus.Success(name, type.Group, type.Plural, Str(oldMeta["uid"]));
    }

    /// <summary>Deletes or marks one stored object; returns the kept (terminating) object, or null when it is gone.</summary>
    private JsonObject? DeleteStored(string storageKey, JsonObject old)
    {
        var oldMeta = (JsonObject)old["metadata"]!;
        if (storageKey == NamespaceStorageKey)
        {
            var ns = Str(oldMeta["name"])!;
            foreach (var key in _store.StorageKeys)
            {
                foreach (var child in _store.List(key, ns).ToList())
                {
                    DeleteStored(key, child);
                }
            }

            if (_store.AnyInNamespace(ns))
            {
                if (oldMeta["deletionTimestamp"] is not null)
                {
                    return old;
                }

                var terminating = (JsonObject)old.DeepClone();
                Meta(terminating)["deletionTimestamp"] = Timestamp();
                Meta(terminating)["deletionGracePeriodSeconds"] = 0;
                terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
                _store.Commit(storageKey, "MODIFIED", terminating, old);
                return terminating;
            }
        }

        if (Finalizers(oldMeta).Count > 0)
        {
            if (oldMeta["deletionTimestamp"] is not null)
            {
                return old;
            }

            var next = (JsonObject)old.DeepClone();
            Meta(next)["deletionTimestamp"] = Timestamp();
            Meta(next)["deletionGracePeriodSeconds"] = 0;
            // As the apiserver's BeforeDelete: setting deletionTimestamp is a new generation for objects that track one.
            if (JsonPaths.GetLong(oldMeta["generation"]) is > 0 and var generation)
            {
                Meta(next)["generation"] = generation + 1;
            }
            _store.Commit(storageKey, "MODIFIED", next, old);
            return next;
        }

        var deleted = (JsonObject)old.DeepClone();
        _store.Commit(storageKey, "DELETED", deleted, old);
        AfterDelete(storageKey, deleted);
        return null;
    }

    private void AfterDelete(ResourceType type, JsonObject deleted) => AfterDelete(type.StorageKey, deleted);

    /// <summary>Finishes a terminating namespace once empty; a deleted CRD takes its objects and endpoints with it.</summary>
    private void AfterDelete(string storageKey, JsonObject deleted)
    {
        if (storageKey == CrdStorageKey)
        {
            var group = Str(deleted["spec"]?["group"]) ?? "";
            var plural = Str(deleted["spec"]?["names"]?["plural"]) ?? "";
            _registry.UnregisterCrd(group, plural);
            foreach (var obj in _store.List($"{group}/{plural}", null).ToList())
            {
                _store.Commit($"{group}/{plural}", "DELETED", (JsonObject)obj.DeepClone(), obj);
            }

            return;
        }

        if (Str(deleted["metadata"]?["namespace"]) is { Length: > 0 } ns &&
            _store.Get(NamespaceStorageKey, null, ns) is { } nsObj &&
            nsObj["metadata"]?["deletionTimestamp"] is not null &&
            !_store.AnyInNamespace(ns))
        {
            _store.Commit(NamespaceStorageKey, "DELETED", (JsonObject)nsObj.DeepClone(), nsObj);
        }
    }

    private static List<string> Finalizers(JsonObject meta) =>
        meta["finalizers"] is JsonArray arr ? arr.Select(f => Str(f) ?? "").ToList() : [];

    /// <summary>Generation counts changes outside metadata (and outside status when status is a subresource).</summary>
    private static bool SpecEquals(ResourceType type, JsonObject a, JsonObject b)
    {
        static JsonObject Strip(ResourceType type, JsonObject o)
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

        return JsonNode.DeepEquals(Strip(type, a), Strip(type, b));
    }

    /// <summary>Per-kind write rules the real registries apply before storing.</summary>
    private void Normalize(ResourceType type, JsonObject obj)
    {
        switch (type.StorageKey)
        {
            case "/secrets":
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = obj["data"] as JsonObject ?? new JsonObject();
                    foreach (var (k, v) in stringData)
                    {
                        data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(v) ?? v?.ToJsonString() ?? ""));
                    }

                    obj["data"] = data;
                }

                obj.Remove("stringData");
                obj["type"] ??= "Opaque";
                break;
            case NamespaceStorageKey:
                var labels = Meta(obj)["labels"] as JsonObject ?? new JsonObject();
                labels["kubernetes.io/metadata.name"] = Str(Meta(obj)["name"]);
                Meta(obj)["labels"] = labels;
                if (Meta(obj)["deletionTimestamp"] is null)
                {
                    obj["status"] = new JsonObject { ["phase"] = "Active" };
                }

                break;
            case CrdStorageKey:
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
                        Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                        Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
                    ["acceptedNames"] = names,
                    ["storedVersions"] = stored,
                };
                break;
        }
    }

    private JsonObject Condition(string type, string reason, string message)
    {
        var created = Timestamp();
        return new JsonObject { ["type"] = type, ["status"] = "True", ["lastTransitionTime"] = created, ["reason"] = reason, ["message"] = message };
    }

    /// <summary>
    /// Prunes (under <paramref name="fields"/>' mode), defaults, then validates custom resources; main-resource
    /// writes are not failed by .status errors.
    /// </summary>
    private static void Validate(ResourceType type, JsonObject obj, JsonObject? old, bool statusWrite, FieldValidation? fields)
    {
        if (type.Validator is null)
        {
            return;
        }

        var pruned = type.Validator.PruneUnknown(obj);
        fields?.Report(type, pruned, statusWrite);
        type.Validator.ApplyDefaults(obj);
        var errors = type.Validator.Validate(obj, old);
        if (!statusWrite)
        {
            errors = errors.Where(e => e.Field != "status" && !e.Field.StartsWith("status.", StringComparison.Ordinal) && !e.Field.StartsWith("status[", StringComparison.Ordinal)).ToList();
        }

        if (errors.Count > 0)
        {
            throw KubeStatus.Invalid(type.Group, type.Kind, Str(obj["metadata"]?["name"]) ?? "", errors);
        }
    }

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
    private JsonObject List(HttpContext ctx, ResourceType type, RequestInfo info)
    {
        var query = ctx.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
        var continueToken = (string?)query["continue"];
        long rv;
        List<JsonObject> items;
        int offset;
        lock (_store.Gate)
        {
            if (!string.IsNullOrEmpty(continueToken))
            {
                var (id, off) = DecodeContinue(continueToken);
                if (!_snapshots.TryGetValue(id, out var snap) || snap.Rv < _store.CompactedRv)
                {
                    throw KubeStatus.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
                }

                (rv, items, offset) = (snap.Rv, snap.Items, off);
            }
            else
            {
                var rvParam = (string?)query["resourceVersion"];
                if (query["resourceVersionMatch"] == "Exact" && long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var exact) && exact != _store.CurrentRv)
                {
                    throw KubeStatus.Expired($"too old resource version: {exact} ({_store.CompactedRv + 1})");
                }

                if (long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var minimum) && minimum > _store.CurrentRv)
                {
                    throw KubeStatus.TooLargeResourceVersion(minimum, _store.CurrentRv);
                }

                rv = _store.CurrentRv;
                items = _store.List(type.StorageKey, info.Namespace).Select(o => Serve(type, o)).Where(o => labels.Matches(o) && fields.Matches(o)).ToList();
                offset = 0;
            }

            string? next = null;
            var page = items;
            if (limit > 0 && items.Count - offset > limit)
            {
                page = items.GetRange(offset, limit);
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

                next = EncodeContinue(id, offset + limit);
            }
            else if (offset > 0)
            {
                page = items.GetRange(offset, items.Count - offset);
            }

            var rvText = rv.ToString(CultureInfo.InvariantCulture);
            if (WantsTable(ctx))
            {
                return TableConverter.Convert(type, page, rvText, next, true, IncludeFullObject(ctx), Now);
            }

            var meta = new JsonObject { ["resourceVersion"] = rvText };
            if (next is not null)
            {
                meta["continue"] = next;
                meta["remainingItemCount"] = items.Count - offset - page.Count;
            }

            return new JsonObject
            {
                ["apiVersion"] = type.ApiVersion,
                ["kind"] = type.ListKind,
                ["metadata"] = meta,
                ["items"] = new JsonArray(page.Select(o => (JsonNode)o.DeepClone()).ToArray()),
            };
        }
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
}
