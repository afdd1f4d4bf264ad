namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// <c>metadata.managedFields</c> as kube-apiserver's field manager maintains them (k8s.io/apimachinery managedfields
/// and structured-merge-diff): every create, update and non-apply patch is an <c>Update</c> by its manager, which
/// takes the fields it added or changed from whoever owned them and loses the fields it removed; a server-side apply
/// (<see cref="Apply"/>) owns exactly the fields of its configuration, removes the fields it applied last time and no
/// longer applies unless another manager owns them, and fails with a 409 when it would change a field another
/// manager owns, unless forced, which moves the field to it. The fields a write to this endpoint resets (status on
/// the main resource, spec on /status) are never owned by it; server-set metadata (name, uid, resourceVersion ...) is
/// never owned. A request that sends managedFields replaces them when they decode, else the stored ones are kept;
/// <c>[{}]</c> clears them (so does <c>[]</c> for a built-in kind), and an object whose managedFields are cleared is
/// no longer tracked until it is applied; /status writes always keep the stored ones. More than ten Update managers
/// are folded into <c>ancient-changes</c>. Stateless apart from the clock; the caller holds the store's lock.
/// </summary>
internal sealed class FieldManager(TimeProvider time)
{
    /// <summary>The manager kubectl uses for server-side apply, whose conflicts with its own last-applied configuration are forced.</summary>
    private const string KubectlApplyManager = "kubectl";

    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private const int MaxUpdateManagers = 10;

    private static readonly FieldSet StrippedMetadata = StripSet();

    /// <summary>
    /// The managedFields to store after an Update-style write of <paramref name="next"/> over <paramref name="live"/>
    /// (null on create), or null when the object is not tracked. <paramref name="requested"/> is the managedFields
    /// the request's object carried (null when it carried none).
    /// </summary>
    public JsonArray? Update(ResourceType type, JsonObject? live, JsonObject next, JsonNode? requested, bool requestedPresent, string manager, string subresource)
    {
        var managed = subresource.Length > 0 || live is null && !requestedPresent
            ? DecodeOrEmpty(live)
            : FromRequest(type, live, requested, requestedPresent);
        if (managed.Count == 0 && live is not null)
        {
            // An existing object without managedFields stays untracked until it is applied.
            return null;
        }

        UpdateAs(type, live ?? EmptyObject(type), next, managed, new ManagerId(Manager(manager), "Update", type.ApiVersion, subresource), subresource);
        CapUpdateManagers(managed);
        return Encode(managed);
    }

    /// <summary>
    /// A server-side apply of <paramref name="config"/> by <paramref name="manager"/> over <paramref name="live"/>
    /// (null when it creates the object). Returns the object to store with its managedFields set; throws the real
    /// 409 on a conflict that is not forced, 400 on a configuration the real server refuses.
    /// </summary>
    public JsonObject Apply(ResourceType type, JsonObject? live, JsonObject config, string manager, bool force, string subresource)
    {
        var configVersion = ResourceStrategy.Str(config["apiVersion"]) ?? "";
        var configKind = ResourceStrategy.Str(config["kind"]) ?? "";
        if (configVersion != type.ApiVersion || configKind != type.Kind)
        {
            var (group, version) = configVersion.Contains('/', StringComparison.Ordinal) ? (configVersion[..configVersion.IndexOf('/', StringComparison.Ordinal)], configVersion[(configVersion.IndexOf('/', StringComparison.Ordinal) + 1)..]) : ("", configVersion);
            throw KubeStatus.BadRequest($"invalid object type: {group}/{version}, Kind={configKind}");
        }

        if (config["metadata"] is JsonObject configMeta && configMeta.ContainsKey("managedFields"))
        {
            throw KubeStatus.BadRequest("metadata.managedFields must be nil");
        }

        if (type.IsCustom && TypedValue.UndeclaredFields(config, type.FieldTypes) is { Count: > 0 } undeclared)
        {
            // The real server cannot type the configuration against the CRD's schema whatever fieldValidation says.
            var what = undeclared.Count == 1
                ? $"{undeclared[0]}: field not declared in schema"
                : "errors:\n" + string.Join("\n", undeclared.Select(u => $"  {u}: field not declared in schema"));
            var ns = ResourceStrategy.Str(config["metadata"]?["namespace"]) ?? "";
            var name = ResourceStrategy.Str(config["metadata"]?["name"]) ?? "";
            throw new KubeApiException(new JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject(),
                ["status"] = "Failure",
                ["message"] = $"failed to create typed patch object ({ns}/{name}; {type.ApiVersion}, Kind={type.Kind}): {what}",
                ["code"] = 500,
            });
        }

        var liveObj = live ?? EmptyObject(type);
        var id = new ManagerId(Manager(manager), "Apply", "", subresource);
        Dictionary<ManagerId, Owned> Tracked()
        {
            var tracked = Decode(live?["metadata"]?["managedFields"]);
            if (tracked.Count == 0 && live is not null)
            {
                // Fields set before the first apply get a manager of their own, so an apply can conflict with them.
                UpdateAs(type, EmptyObject(type), live, tracked, new ManagerId("before-first-apply", "Update", type.ApiVersion, subresource), subresource);
            }

            return tracked;
        }

        Dictionary<ManagerId, Owned> managed;
        try
        {
            managed = Tracked();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new KubeApiException(KubeStatus.Failure(500, "InternalError", $"Internal error occurred: failed to decode managed fields: {e.Message}"));
        }

        JsonObject? result;
        try
        {
            result = ApplyAs(type, liveObj, config, managed, id, force, subresource);
        }
        catch (ApplyConflicts conflicts) when (id.Manager == KubectlApplyManager && AllowedByLastApplied(type, liveObj) is { } allowed)
        {
            var remaining = conflicts.Items.Where(c => !allowed.Has(c.Path)).ToList();
            if (remaining.Count > 0)
            {
                throw Conflict(remaining);
            }

            managed = Tracked();
            result = ApplyAs(type, liveObj, config, managed, id, force: true, subresource);
        }
        catch (ApplyConflicts conflicts)
        {
            throw Conflict(conflicts.Items);
        }

        var stored = (JsonObject)(result ?? liveObj).DeepClone();
        // A built-in kind decodes into its Go type, where a null is no value; so does every kind's metadata.
        TypedValue.DropNulls(type.IsCustom ? stored["metadata"] : stored, type.IsCustom ? BuiltInTypes.ObjectMeta : type.FieldTypes);
        if (result is not null && managed.TryGetValue(id, out var mine))
        {
            managed[id] = mine with { Time = Now() };
        }

        if (id.Manager == KubectlApplyManager && stored["metadata"]?["annotations"]?[LastAppliedAnnotation] is JsonValue)
        {
            var applied = (JsonObject)config.DeepClone();
            (applied["metadata"]?["annotations"] as JsonObject)?.Remove(LastAppliedAnnotation);
            ((JsonObject)stored["metadata"]!["annotations"]!)[LastAppliedAnnotation] = applied.ToJsonString();
        }

        var meta = ResourceStrategy.Meta(stored);
        if (Encode(managed) is { } encoded)
        {
            meta["managedFields"] = encoded;
        }
        else
        {
            meta.Remove("managedFields");
        }

        return stored;
    }

    private static Dictionary<ManagerId, Owned> FromRequest(ResourceType type, JsonObject? live, JsonNode? requested, bool requestedPresent)
    {
        // [{}] clears them; so does [] for a built-in kind (a custom resource's decoder reads [] as absent).
        if (requestedPresent && requested is JsonArray array && (array.Count == 0 && !type.IsCustom || array is [JsonObject { Count: 0 }]))
        {
            return [];
        }

        if (requestedPresent && requested is JsonArray { Count: > 0 })
        {
            try
            {
                var decoded = Decode(requested);
                if (decoded.Count > 0)
                {
                    return decoded;
                }
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
            {
                // Invalid managedFields in a request are ignored: the stored ones are kept.
            }
        }

        return DecodeOrEmpty(live);
    }

    private static Dictionary<ManagerId, Owned> DecodeOrEmpty(JsonObject? obj)
    {
        try
        {
            return Decode(obj?["metadata"]?["managedFields"]);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>The Update of one manager: takes what it added or changed, everyone loses what it removed.</summary>
    private void UpdateAs(ResourceType type, JsonObject live, JsonObject next, Dictionary<ManagerId, Owned> managed, ManagerId id, string subresource)
    {
        Comparison comparison;
        try
        {
            comparison = TypedValue.Compare(live, next, type.FieldTypes).Excluding(type.Strategy.ResetFields(type, subresource));
        }
        catch (FieldManagementException)
        {
            // The real server logs "[SHOULD NOT HAPPEN] failed to update managedFields" and drops them.
            managed.Clear();
            return;
        }

        var changed = comparison.Modified.Union(comparison.Added);
        foreach (var (other, owned) in managed.ToList())
        {
            var rest = owned.Set.Difference(changed).Difference(comparison.Removed);
            if (rest.IsEmpty)
            {
                managed.Remove(other);
            }
            else
            {
                managed[other] = owned with { Set = rest };
            }
        }

        var mine = changed.Difference(StrippedMetadata);
        if (mine.IsEmpty)
        {
            return;
        }

        managed[id] = new Owned(managed.TryGetValue(id, out var previous) ? previous.Set.Union(mine) : mine, type.ApiVersion, Applied: false, Now());
    }

    /// <summary>structured-merge-diff's Updater.Apply; null when the object does not change.</summary>
    private JsonObject? ApplyAs(ResourceType type, JsonObject live, JsonObject config, Dictionary<ManagerId, Owned> managed, ManagerId id, bool force, string subresource)
    {
        var types = type.FieldTypes;
        var reset = type.Strategy.ResetFields(type, subresource);
        JsonObject merged;
        FieldSet applied;
        try
        {
            merged = TypedValue.Merge(live, config, types) as JsonObject ?? [];
            applied = TypedValue.ToFieldSet(config, types);
        }
        catch (FieldManagementException e)
        {
            throw KubeStatus.BadRequest($"failed to create typed patch object: {e.Message}");
        }

        if (reset is not null)
        {
            applied = applied.RecursiveDifference(reset);
        }

        var last = managed.TryGetValue(id, out var previous) ? previous.Set : null;
        managed[id] = new Owned(applied, type.ApiVersion, Applied: true, previous?.Time);
        var next = last is null || last.IsEmpty ? merged : Prune(merged, managed, last, types);

        var comparison = TypedValue.Compare(live, next, types).Excluding(reset);
        var changed = comparison.Modified.Union(comparison.Added);
        var conflicts = new List<ApplyConflict>();
        foreach (var (other, owned) in managed.OrderBy(m => m.Key.Identity, StringComparer.Ordinal))
        {
            if (other == id)
            {
                continue;
            }

            foreach (var path in owned.Set.Intersection(changed).Paths())
            {
                conflicts.Add(new ApplyConflict(other, owned, path));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw new ApplyConflicts(conflicts);
        }

        foreach (var (other, owned) in managed.ToList())
        {
            if (other == id)
            {
                continue;
            }

            var rest = owned.Set.Difference(changed).Difference(comparison.Removed);
            if (rest.IsEmpty)
            {
                managed.Remove(other);
            }
            else
            {
                managed[other] = owned with { Set = rest };
            }
        }

        var stripped = managed[id].Set.Difference(StrippedMetadata);
        if (stripped.IsEmpty)
        {
            managed.Remove(id);
        }
        else
        {
            managed[id] = managed[id] with { Set = stripped };
        }

        return JsonNode.DeepEquals(live, next) ? null : next;
    }

    /// <summary>
    /// Removes from <paramref name="merged"/> what the applier owned last time (<paramref name="last"/>) and no manager
    /// owns now, keeping fields nobody owns that the applier never had (structured-merge-diff's prune).
    /// </summary>
    private static JsonObject Prune(JsonObject merged, Dictionary<ManagerId, Owned> managed, FieldSet last, TypeNode types)
    {
        var lastNamed = last.EnsureNamedFieldsAreMembers(types);
        var pruned = TypedValue.RemoveItems(merged, lastNamed, types);
        var owned = managed.Values.Aggregate(new FieldSet(), (all, o) => all.Union(o.Set)).EnsureNamedFieldsAreMembers(types);
        var mergedSet = TypedValue.ToFieldSet(merged, types).EnsureNamedFieldsAreMembers(types);
        var prunedSet = TypedValue.ToFieldSet(pruned, types).EnsureNamedFieldsAreMembers(types);
        pruned = TypedValue.RemoveItems(merged, mergedSet.Difference(prunedSet.Union(owned)), types);
        prunedSet = TypedValue.ToFieldSet(pruned, types).EnsureNamedFieldsAreMembers(types);
        return TypedValue.RemoveItems(merged, mergedSet.Difference(prunedSet).Intersection(lastNamed), types) as JsonObject ?? [];
    }

    /// <summary>
    /// The fields of kubectl's last-applied configuration whose values the live object still has: kubectl's first
    /// server-side apply after client-side applies may take them without --force-conflicts. Null without the annotation.
    /// </summary>
    private static FieldSet? AllowedByLastApplied(ResourceType type, JsonObject live)
    {
        if (ResourceStrategy.Str(live["metadata"]?["annotations"]?[LastAppliedAnnotation]) is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(text) is not JsonObject lastApplied || ResourceStrategy.Str(lastApplied["apiVersion"]) != type.ApiVersion)
            {
                return null;
            }

            var comparison = TypedValue.Compare(lastApplied, live, type.FieldTypes);
            return TypedValue.ToFieldSet(lastApplied, type.FieldTypes)
                .Difference(comparison.Modified).Difference(comparison.Added).Difference(comparison.Removed);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FieldManagementException)
        {
            return null;
        }
    }

    private static KubeApiException Conflict(IReadOnlyList<ApplyConflict> conflicts)
    {
        var causes = new JsonArray();
        foreach (var c in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with {c.Manager.Describe()}",
                ["field"] = FieldSet.PathString(c.Path),
            });
        }

        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Manager.Describe()}: {FieldSet.PathString(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => c.Manager).OrderBy(g => g.Key.Identity, StringComparer.Ordinal)
                .SelectMany(g => new[] { $"conflicts with {g.Key.Describe()}:" }.Concat(g.Select(c => $"- {FieldSet.PathString(c.Path)}")));
            message = $"Apply failed with {conflicts.Count.ToString(CultureInfo.InvariantCulture)} conflicts: {string.Join("\n", lines)}";
        }

        return new KubeApiException(KubeStatus.Failure(409, "Conflict", message, new JsonObject { ["causes"] = causes }));
    }

    /// <summary>Folds the oldest Update managers beyond ten into one <c>ancient-changes</c> entry per apiVersion.</summary>
    private static void CapUpdateManagers(Dictionary<ManagerId, Owned> managed)
    {
        var updaters = managed.Where(m => !m.Value.Applied)
            .OrderBy(m => m.Value.Time ?? "", StringComparer.Ordinal).ThenBy(m => m.Key.Identity, StringComparer.Ordinal)
            .Select(m => m.Key).ToList();
        var count = updaters.Count;
        var firstByVersion = new Dictionary<string, ManagerId>(StringComparer.Ordinal);
        foreach (var id in updaters)
        {
            if (count <= MaxUpdateManagers)
            {
                break;
            }

            var owned = managed[id];
            var bucket = new ManagerId("ancient-changes", "Update", owned.ApiVersion, "");
            if (firstByVersion.TryGetValue(owned.ApiVersion, out var first))
            {
                if (!managed.ContainsKey(bucket))
                {
                    managed[bucket] = managed[first];
                    managed.Remove(first);
                }

                managed[bucket] = owned with { Set = owned.Set.Union(managed[bucket].Set) };
                managed.Remove(id);
                count--;
            }
            else
            {
                firstByVersion[owned.ApiVersion] = id;
            }
        }
    }

    private static Dictionary<ManagerId, Owned> Decode(JsonNode? managedFields)
    {
        var result = new Dictionary<ManagerId, Owned>();
        if (managedFields is null)
        {
            return result;
        }

        var index = 0;
        foreach (var entry in managedFields as JsonArray ?? throw new FormatException("managedFields must be a list"))
        {
            if (entry is not JsonObject e)
            {
                throw new FormatException("a managedFields entry must be an object");
            }

            var operation = ResourceStrategy.Str(e["operation"]);
            if (operation is not ("Apply" or "Update"))
            {
                throw new FormatException("operation must be `Apply` or `Update`");
            }

            var apiVersion = ResourceStrategy.Str(e["apiVersion"]);
            if (string.IsNullOrEmpty(apiVersion))
            {
                throw new FormatException("apiVersion must not be empty");
            }

            switch (ResourceStrategy.Str(e["fieldsType"]))
            {
                case "FieldsV1":
                    break;
                case null or "":
                    throw new FormatException($"missing fieldsType in managed fields entry {index}");
                default:
                    throw new FormatException($"invalid fieldsType \"{ResourceStrategy.Str(e["fieldsType"])}\" in managed fields entry {index}");
            }

            var id = new ManagerId(ResourceStrategy.Str(e["manager"]) ?? "", operation, operation == "Apply" ? "" : apiVersion, ResourceStrategy.Str(e["subresource"]) ?? "");
            result[id] = new Owned(FieldSet.FromFieldsV1(e["fieldsV1"]), apiVersion, operation == "Apply", ResourceStrategy.Str(e["time"]));
            index++;
        }

        return result;
    }

    private static JsonArray? Encode(Dictionary<ManagerId, Owned> managed)
    {
        if (managed.Count == 0)
        {
            return null;
        }

        var entries = managed.Select(m => (Id: m.Key, Owned: m.Value, Operation: m.Value.Applied ? "Apply" : m.Key.Operation, m.Value.Time))
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time ?? "", StringComparer.Ordinal)
            .ThenBy(e => e.Id.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.Owned.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Id.Subresource, StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var e in entries)
        {
            var entry = new JsonObject
            {
                ["manager"] = e.Id.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.Owned.ApiVersion,
            };
            if (e.Time is not null)
            {
                entry["time"] = e.Time;
            }

            entry["fieldsType"] = "FieldsV1";
            entry["fieldsV1"] = e.Owned.Set.ToFieldsV1();
            if (e.Id.Subresource.Length > 0)
            {
                entry["subresource"] = e.Id.Subresource;
            }

            array.Add(entry);
        }

        return array;
    }

    /// <summary>What the server sets and no manager owns: apiVersion, kind, metadata itself and its system fields.</summary>
    private static FieldSet StripSet()
    {
        var set = new FieldSet();
        set.Insert([PathElement.OfField("apiVersion")]);
        set.Insert([PathElement.OfField("kind")]);
        set.Insert([PathElement.OfField("metadata")]);
        foreach (var field in new[] { "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion" })
        {
            set.Insert([PathElement.OfField("metadata"), PathElement.OfField(field)]);
        }

        return set;
    }

    private static JsonObject EmptyObject(ResourceType type) => type.IsCustom ? [] : BuiltInTypes.EmptyObject(type.Kind);

    private static string Manager(string manager) => manager.Length == 0 ? "unknown" : manager;

    private string Now() => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>What one manager owns; <see cref="Applied"/> marks an Apply entry.</summary>
    private sealed record Owned(FieldSet Set, string ApiVersion, bool Applied, string? Time);

    private sealed record ApplyConflict(ManagerId Manager, Owned Owned, IReadOnlyList<PathElement> Path);

    private sealed class ApplyConflicts(IReadOnlyList<ApplyConflict> items) : Exception("apply conflicts")
    {
        public IReadOnlyList<ApplyConflict> Items { get; } = items;
    }
}

/// <summary>
/// The identity of a managedFields entry, as the real server's manager identifier: manager, operation, subresource
/// and, for Update entries only, the apiVersion (an applier keeps its entry across versions).
/// </summary>
internal sealed record ManagerId(string Manager, string Operation, string ApiVersion, string Subresource)
{
    public string Identity => $"{Manager}\u0000{Operation}\u0000{ApiVersion}\u0000{Subresource}";

    /// <summary>As a conflict names the manager: <c>"name"</c>, <c>with subresource "status"</c>, <c>using v1</c> for an Update.</summary>
    public string Describe()
    {
        var text = $"\"{Manager}\"";
        if (Subresource.Length > 0)
        {
            text += $" with subresource \"{Subresource}\"";
        }

        return Operation == "Update" ? $"{text} using {ApiVersion}" : text;
    }
}
