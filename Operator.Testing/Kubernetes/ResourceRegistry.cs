namespace Operator.Testing.Kubernetes;

/// <summary>
/// What the emulator serves: the built-in kinds it implements plus one entry per served version of each registered
/// CRD. Guarded by the store's lock.
/// </summary>
internal sealed class ResourceRegistry
{
    private readonly List<ResourceType> _types = [];
    private readonly Func<JsonObject, ICustomResourceValidator> _validatorFactory;

    public ResourceRegistry(Func<JsonObject, ICustomResourceValidator>? validatorFactory = null)
    {
        _validatorFactory = validatorFactory ?? (schema => new SchemaValidatorAdapter(schema));
        var age = new PrinterColumn("Age", "date", ".metadata.creationTimestamp");
        Add(new ResourceType { Group = "", Version = "v1", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", Namespaced = false, Strategy = NamespaceStrategy.Instance, ShortNames = ["ns"], Columns = [new("Status", "string", ".status.phase"), age] });
        Add(new ResourceType { Group = "", Version = "v1", Plural = "secrets", Singular = "secret", Kind = "Secret", Namespaced = true, Strategy = SecretStrategy.Instance, Columns = [new("Type", "string", ".type"), new("Data", "integer", ".data", "count"), age] });
        Add(new ResourceType { Group = "", Version = "v1", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", Namespaced = true, ShortNames = ["cm"], Columns = [new("Data", "integer", ".data", "count"), age] });
        Add(new ResourceType { Group = "", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true, ShortNames = ["ev"], StorageKey = "events", Strategy = EventStrategy.Instance, NameColumnLast = true, Columns = EventColumns("involvedObject", "message") });
        Add(new ResourceType { Group = EventStrategy.EventsGroup, Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true, ShortNames = ["ev"], StorageKey = "events", Strategy = EventStrategy.Instance, NameColumnLast = true, Columns = EventColumns("regarding", "note") });
        Add(new ResourceType { Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease", Namespaced = true, Columns = [new("Holder", "string", ".spec.holderIdentity"), age] });
        // Generic stored objects (ResourceStrategy.Generic): what an install (deploy/overlays) creates. Stored and served
        // as sent, with the real server's scope, short names, status subresource and generation rule, but nothing runs
        // them (no Pods for a Deployment, no clusterIP for a Service) and RBAC is not enforced.
        Add(new ResourceType { Group = "", Version = "v1", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", Namespaced = true, ShortNames = ["sa"], Columns = [age] });
        Add(new ResourceType { Group = "", Version = "v1", Plural = "services", Singular = "service", Kind = "Service", Namespaced = true, Strategy = ServiceStrategy.Instance, ShortNames = ["svc"], Categories = ["all"], HasStatusSubresource = true, Columns = [new("Type", "string", ".spec.type"), age] });
        Add(new ResourceType { Group = "apps", Version = "v1", Plural = "deployments", Singular = "deployment", Kind = "Deployment", Namespaced = true, ShortNames = ["deploy"], Categories = ["all"], HasStatusSubresource = true, TracksGeneration = true, Columns = [age] });
        Add(new ResourceType { Group = "policy", Version = "v1", Plural = "poddisruptionbudgets", Singular = "poddisruptionbudget", Kind = "PodDisruptionBudget", Namespaced = true, ShortNames = ["pdb"], HasStatusSubresource = true, TracksGeneration = true, Columns = [age] });
        foreach (var (plural, kind, namespaced) in new[] { ("clusterroles", "ClusterRole", false), ("clusterrolebindings", "ClusterRoleBinding", false), ("roles", "Role", true), ("rolebindings", "RoleBinding", true) })
        {
            Add(new ResourceType { Group = "rbac.authorization.k8s.io", Version = "v1", Plural = plural, Singular = kind.ToLowerInvariant(), Kind = kind, Namespaced = namespaced, Columns = [age] });
        }

        Add(new ResourceType { Group = "authorization.k8s.io", Version = "v1", Plural = "selfsubjectaccessreviews", Singular = "selfsubjectaccessreview", Kind = "SelfSubjectAccessReview", Namespaced = false, Verbs = ["create"], IsReview = true });
        Add(new ResourceType { Group = "apiextensions.k8s.io", Version = "v1", Plural = "customresourcedefinitions", Singular = "customresourcedefinition", Kind = "CustomResourceDefinition", Namespaced = false, ShortNames = ["crd", "crds"], Categories = ["api-extensions"], TracksGeneration = true, Strategy = CustomResourceDefinitionStrategy.Instance, Columns = [new("Created At", "string", ".metadata.creationTimestamp", "date-time")] });
    }

    public IReadOnlyList<ResourceType> Types => _types;

    /// <summary>LAST SEEN, TYPE, REASON, OBJECT (kind/name), MESSAGE, as kubectl get events prints them.</summary>
    private static List<PrinterColumn> EventColumns(string objectField, string messageField) =>
    [
        new("Last Seen", "date", ".lastTimestamp")
        {
            Compute = e => e["lastTimestamp"] ?? e["deprecatedLastTimestamp"] ?? e["eventTime"] ?? e["metadata"]?["creationTimestamp"],
        },
        new("Type", "string", ".type"),
        new("Reason", "string", ".reason"),
        new("Object", "string", "." + objectField)
        {
            Compute = e => e[objectField] is JsonObject o
                ? JsonValue.Create($"{(o["kind"]?.GetValue<string>() ?? "").ToLowerInvariant()}/{o["name"]?.GetValue<string>()}")
                : null,
        },
        new("Message", "string", "." + messageField),
    ];

    public ResourceType? Find(string group, string version, string plural) =>
        _types.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    /// <summary>The first served type whose objects live under <paramref name="storageKey"/> (null once its CRD is gone).</summary>
    public ResourceType? ForStorageKey(string storageKey) => _types.FirstOrDefault(t => t.StorageKey == storageKey);

    public IEnumerable<string> Groups => _types.Where(t => t.Group.Length > 0).Select(t => t.Group).Distinct();

    public IEnumerable<string> Versions(string group) => _types.Where(t => t.Group == group).Select(t => t.Version).Distinct();

    /// <summary>(Re)registers every served version of a CRD object; returns the storage key its objects use.</summary>
    public string RegisterCrd(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? throw KubeStatus.BadRequest("CustomResourceDefinition without spec");
        var group = spec["group"]?.GetValue<string>() ?? throw KubeStatus.BadRequest("spec.group is required");
        var names = spec["names"] as JsonObject ?? throw KubeStatus.BadRequest("spec.names is required");
        var plural = names["plural"]?.GetValue<string>() ?? throw KubeStatus.BadRequest("spec.names.plural is required");
        var kind = names["kind"]?.GetValue<string>() ?? throw KubeStatus.BadRequest("spec.names.kind is required");
        UnregisterCrd(group, plural);
        foreach (var v in spec["versions"]?.AsArray() ?? [])
        {
            if (v is not JsonObject version || version["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var columns = new List<PrinterColumn>();
            foreach (var c in version["additionalPrinterColumns"]?.AsArray() ?? [])
            {
                columns.Add(new PrinterColumn(
                    c!["name"]!.GetValue<string>(),
                    c["type"]?.GetValue<string>() ?? "string",
                    c["jsonPath"]!.GetValue<string>(),
                    c["format"]?.GetValue<string>() ?? "",
                    c["description"]?.GetValue<string>() ?? "",
                    (int)(JsonPaths.GetLong(c["priority"]) ?? 0)));
            }

            if (columns.Count == 0)
            {
                columns.Add(new PrinterColumn("Age", "date", ".metadata.creationTimestamp"));
            }

            var schema = version["schema"]?["openAPIV3Schema"] as JsonObject;
            Add(new ResourceType
            {
                Group = group,
                Version = version["name"]!.GetValue<string>(),
                Plural = plural,
                Singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant(),
                Kind = kind,
                Namespaced = spec["scope"]?.GetValue<string>() != "Cluster",
                ShortNames = names["shortNames"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [],
                Categories = names["categories"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [],
                HasStatusSubresource = version["subresources"]?["status"] is not null,
                TracksGeneration = true,
                IsCustom = true,
                Strategy = CustomResourceStrategy.Instance,
                Columns = columns,
                Validator = schema is null ? null : _validatorFactory((JsonObject)schema.DeepClone()),
                Schema = schema?.DeepClone().AsObject(),
                FieldTypes = FieldManagement.TypeNode.ForCustomResource(schema),
            });
        }

        return $"{group}/{plural}";
    }

    public void UnregisterCrd(string group, string plural) =>
        _types.RemoveAll(t => t.IsCustom && t.Group == group && t.Plural == plural);

    private void Add(ResourceType type) => _types.Add(type);
}
