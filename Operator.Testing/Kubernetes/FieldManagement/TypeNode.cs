namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// The shape of a kind as server-side apply sees it (structured-merge-diff's schema): scalars, maps (a structure's
/// named fields, or granular entries, or atomic), and lists (atomic, a set of scalars, or a map keyed by some fields of
/// its items). What a path means, what a manager owns and how two configurations merge all follow from it.
/// Built from a CRD version's <c>openAPIV3Schema</c> (<see cref="FromOpenApi"/>: arrays are atomic unless
/// <c>x-kubernetes-list-type</c> says <c>set</c> or <c>map</c>, objects are granular unless
/// <c>x-kubernetes-map-type: atomic</c>) or, for built-in kinds, from <see cref="BuiltInTypes"/>. Immutable.
/// </summary>
internal abstract class TypeNode
{
    /// <summary>A value with no schema: objects are granular maps whose entries are not named fields, arrays atomic.</summary>
    public static readonly TypeNode Unknown = new UntypedType();

    public static readonly TypeNode Scalar = new ScalarType();

    /// <summary>A structure whose every property counts as a named field, its objects the same and its arrays atomic.</summary>
    public static readonly MapType OpenStruct = new() { AnyFieldNamed = true };

    /// <summary><c>nullable: true</c>: a null is stored, not dropped.</summary>
    public bool Nullable { get; init; }

    /// <summary>The map view of this type for an object value, or null when an object is a leaf here.</summary>
    public virtual MapType? AsMap() => null;

    /// <summary>The list view of this type for an array value, or null when an array is a leaf here.</summary>
    public virtual ListType? AsList() => null;

    /// <summary>A CRD version's structural schema; <c>metadata</c> is always the real ObjectMeta.</summary>
    public static TypeNode ForCustomResource(JsonObject? openApiV3Schema)
    {
        var root = openApiV3Schema is null ? new MapType { Element = Unknown } : (MapType)FromOpenApi(openApiV3Schema, topLevel: true);
        var fields = new Dictionary<string, TypeNode>(root.Fields, StringComparer.Ordinal)
        {
            ["apiVersion"] = Scalar,
            ["kind"] = Scalar,
            ["metadata"] = BuiltInTypes.ObjectMeta,
        };
        return new MapType { Fields = fields, Element = root.Element };
    }

    /// <summary>An OpenAPI v3 schema node as structured-merge-diff's CRD converter reads it.</summary>
    public static TypeNode FromOpenApi(JsonObject schema, bool topLevel = false)
    {
        var nullable = schema["nullable"]?.GetValue<bool>() == true;
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            return new ScalarType { Nullable = nullable };
        }

        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        var type = ResourceStrategy.Str(schema["type"]);
        if (type == "array")
        {
            var items = schema["items"] as JsonObject;
            var element = items is null ? Unknown : FromOpenApi(items);
            var relation = ResourceStrategy.Str(schema["x-kubernetes-list-type"]) switch
            {
                "set" => ListRelation.Set,
                "map" => ListRelation.Map,
                _ => ListRelation.Atomic,
            };
            var keys = schema["x-kubernetes-list-map-keys"] is JsonArray k ? k.Select(n => n!.GetValue<string>()).ToList() : [];
            var defaults = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (items?["properties"]?[key]?["default"] is { } d)
                {
                    defaults[key] = d.DeepClone();
                }
            }

            return new ListType { Element = element, Relation = relation, Keys = keys, KeyDefaults = defaults, Nullable = nullable };
        }

        if (type == "object" || topLevel || schema["properties"] is not null)
        {
            var fields = new Dictionary<string, TypeNode>(StringComparer.Ordinal);
            foreach (var (name, prop) in schema["properties"] as JsonObject ?? [])
            {
                if (prop is JsonObject p)
                {
                    fields[name] = FromOpenApi(p);
                }
            }

            TypeNode? element = schema["additionalProperties"] switch
            {
                JsonObject additional => FromOpenApi(additional),
                JsonValue v when v.GetValue<bool>() => Unknown,
                _ => null,
            };
            if (preserve)
            {
                element ??= Unknown;
            }

            if (fields.Count == 0 && element is null)
            {
                // An object with neither properties nor additionalProperties can hold nothing after pruning;
                // embedded resources and metadata-only objects are still granular maps.
                element = Unknown;
            }

            return new MapType
            {
                Fields = fields,
                Element = element,
                Atomic = ResourceStrategy.Str(schema["x-kubernetes-map-type"]) == "atomic",
                Nullable = nullable,
            };
        }

        return preserve ? Unknown : new ScalarType { Nullable = nullable };
    }

    private sealed class ScalarType : TypeNode
    {
    }

    private sealed class UntypedType : TypeNode
    {
        private static readonly MapType DeducedMap = new() { Element = Unknown };
        private static readonly ListType AtomicList = new() { Element = Unknown, Relation = ListRelation.Atomic };

        public override MapType? AsMap() => DeducedMap;

        public override ListType? AsList() => AtomicList;
    }
}

/// <summary>How the items of a list are identified and owned.</summary>
internal enum ListRelation
{
    /// <summary>The whole list is one value, owned and replaced as a unit.</summary>
    Atomic,

    /// <summary>Scalars identified by value (<c>v:"x"</c>).</summary>
    Set,

    /// <summary>Objects identified by the values of <see cref="ListType.Keys"/> (<c>k:{"name":"x"}</c>).</summary>
    Map,
}

/// <summary>An object type: named fields (a structure), granular entries of <see cref="Element"/>, or atomic.</summary>
internal sealed class MapType : TypeNode
{
    public IReadOnlyDictionary<string, TypeNode> Fields { get; init; } = new Dictionary<string, TypeNode>();

    /// <summary>The type of entries that are not named fields (additionalProperties); null when there are none.</summary>
    public TypeNode? Element { get; init; }

    /// <summary><c>x-kubernetes-map-type: atomic</c>: the object is one value.</summary>
    public bool Atomic { get; init; }

    /// <summary>Every property is a named field of an open structure (built-in kinds not modelled field by field).</summary>
    public bool AnyFieldNamed { get; init; }

    public override MapType? AsMap() => this;

    /// <summary>Whether <paramref name="name"/> is a named field, and the type of its value.</summary>
    public (bool Named, TypeNode Type) FindField(string name) =>
        Fields.TryGetValue(name, out var t) ? (true, t)
        : AnyFieldNamed ? (true, OpenStruct)
        : (false, Element ?? Unknown);
}

/// <summary>An array type and how its items are owned.</summary>
internal sealed class ListType : TypeNode
{
    public required TypeNode Element { get; init; }

    public ListRelation Relation { get; init; }

    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>Defaults of key fields an item may omit (as a Service port's protocol).</summary>
    public IReadOnlyDictionary<string, JsonNode?> KeyDefaults { get; init; } = new Dictionary<string, JsonNode?>();

    public override ListType? AsList() => this;

    /// <summary>The path element of an item of an associative list; throws <see cref="FieldManagementException"/> when it has none.</summary>
    public PathElement ItemElement(JsonNode? item)
    {
        if (Relation == ListRelation.Set)
        {
            return item is null or JsonObject or JsonArray
                ? throw new FieldManagementException("associative list without keys has an element that is not a scalar")
                : PathElement.OfValue(item);
        }

        if (item is not JsonObject obj)
        {
            throw new FieldManagementException("associative list with keys may not have non-map elements");
        }

        var key = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var name in Keys)
        {
            if (obj.TryGetPropertyValue(name, out var value))
            {
                key.Add(KeyValuePair.Create(name, value));
            }
            else if (KeyDefaults.TryGetValue(name, out var fallback))
            {
                key.Add(KeyValuePair.Create(name, fallback));
            }
            else
            {
                throw new FieldManagementException($"associative list with keys has an element that omits key field \"{name}\" (and doesn't have default value)");
            }
        }

        return PathElement.OfKey(key);
    }
}

/// <summary>An object that cannot be described by its type (a list item without its key): the write is refused or untracked.</summary>
internal sealed class FieldManagementException(string message) : Exception(message);
