namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// Server-side apply types of the built-in kinds the emulator serves. <see cref="ObjectMeta"/> is the real one
/// (labels and annotations granular maps, finalizers a set, ownerReferences a map keyed by uid). The kinds are open
/// structures (every property a named field, nested objects the same, arrays atomic) with the real list types and
/// map types where the kinds have them (a Secret's and ConfigMap's data, a Service's ports and selector, a Pod
/// template's containers, env, ports, volumes and volume mounts, a ServiceAccount's secrets). A list of a built-in
/// kind not listed here is owned as a whole, where the real server may own its items one by one.
/// <see cref="EmptyObject"/> is the kind's zero value as the real server compares a create against (a Lease has an
/// empty <c>spec</c>, so creating one does not own <c>spec</c> itself).
/// </summary>
internal static class BuiltInTypes
{
    private static readonly MapType StringMap = new() { Element = TypeNode.Scalar };

    public static readonly MapType ObjectMeta = new()
    {
        AnyFieldNamed = true,
        Fields = new Dictionary<string, TypeNode>(StringComparer.Ordinal)
        {
            ["labels"] = StringMap,
            ["annotations"] = StringMap,
            ["finalizers"] = new ListType { Element = TypeNode.Scalar, Relation = ListRelation.Set },
            ["ownerReferences"] = new ListType { Element = TypeNode.OpenStruct, Relation = ListRelation.Map, Keys = ["uid"] },
            ["managedFields"] = new ListType { Element = TypeNode.OpenStruct, Relation = ListRelation.Atomic },
        },
    };

    private static ListType KeyedBy(TypeNode element, params string[] keys) =>
        new() { Element = element, Relation = ListRelation.Map, Keys = keys, KeyDefaults = keys.Where(k => k == "protocol").ToDictionary(k => k, _ => (JsonNode?)JsonValue.Create("TCP"), StringComparer.Ordinal) };

    private static MapType Struct(params (string Name, TypeNode Type)[] fields) =>
        new() { AnyFieldNamed = true, Fields = fields.ToDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal) };

    private static readonly MapType Container = Struct(
        ("env", KeyedBy(TypeNode.OpenStruct, "name")),
        ("ports", KeyedBy(TypeNode.OpenStruct, "containerPort", "protocol")),
        ("volumeMounts", KeyedBy(TypeNode.OpenStruct, "mountPath")));

    private static readonly MapType PodTemplate = Struct(
        ("metadata", ObjectMeta),
        ("spec", Struct(
            ("containers", KeyedBy(Container, "name")),
            ("initContainers", KeyedBy(Container, "name")),
            ("volumes", KeyedBy(TypeNode.OpenStruct, "name")),
            ("nodeSelector", new MapType { Element = TypeNode.Scalar, Atomic = true }))));

    private static readonly MapType LabelSelector = Struct(("matchLabels", StringMap));

    private static readonly Dictionary<string, MapType> Kinds = new(StringComparer.Ordinal)
    {
        ["Secret"] = Root(("data", StringMap), ("stringData", StringMap)),
        ["ConfigMap"] = Root(("data", StringMap), ("binaryData", StringMap)),
        ["Service"] = Root(("spec", Struct(
            ("ports", KeyedBy(TypeNode.OpenStruct, "port", "protocol")),
            ("selector", new MapType { Element = TypeNode.Scalar, Atomic = true })))),
        ["ServiceAccount"] = Root(("secrets", KeyedBy(TypeNode.OpenStruct, "name"))),
        ["Deployment"] = Root(("spec", Struct(("selector", LabelSelector), ("template", PodTemplate)))),
        ["PodDisruptionBudget"] = Root(("spec", Struct(("selector", LabelSelector)))),
        // An ObjectReference is an atomic structure.
        ["Event"] = Root(("involvedObject", new MapType { AnyFieldNamed = true, Atomic = true }), ("related", new MapType { AnyFieldNamed = true, Atomic = true })),
    };

    private static readonly MapType Generic = Root();

    /// <summary>The type of a built-in kind (an open structure with the real metadata when not listed).</summary>
    public static TypeNode For(string kind) => Kinds.TryGetValue(kind, out var type) ? type : Generic;

    /// <summary>The kind's zero value as the typed Go object serialises it (what a create is compared against).</summary>
    public static JsonObject EmptyObject(string kind) => kind switch
    {
        "Lease" or "Namespace" or "PodDisruptionBudget" => new JsonObject { ["spec"] = new JsonObject() },
        "Event" => new JsonObject { ["involvedObject"] = new JsonObject(), ["source"] = new JsonObject(), ["firstTimestamp"] = null, ["lastTimestamp"] = null, ["eventTime"] = null },
        "Service" => new JsonObject { ["spec"] = new JsonObject(), ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() } },
        "Deployment" => new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject(), ["spec"] = new JsonObject() }, ["strategy"] = new JsonObject() } },
        "RoleBinding" or "ClusterRoleBinding" => new JsonObject { ["roleRef"] = new JsonObject() },
        _ => [],
    };

    private static MapType Root(params (string Name, TypeNode Type)[] fields) =>
        Struct([("metadata", ObjectMeta), .. fields]);
}
