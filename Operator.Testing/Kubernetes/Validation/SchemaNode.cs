using System.Text.RegularExpressions;

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>One node of a structural OpenAPI v3 schema (apiextensions JSONSchemaProps), parsed once.</summary>
internal sealed class SchemaNode
{
    private static readonly HashSet<string> KnownKeys =
    [
        "type", "description", "title", "properties", "required", "additionalProperties", "items", "enum",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
        "minItems", "maxItems", "minProperties", "maxProperties", "format", "nullable", "default", "example",
        "multipleOf", "externalDocs",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-validations", "x-kubernetes-map-type",
        "x-kubernetes-embedded-resource",
    ];

    public required string Path { get; init; }

    public string? Type { get; private set; }

    public bool Nullable { get; private set; }

    public bool PreserveUnknownFields { get; private set; }

    public bool IntOrString { get; private set; }

    public bool EmbeddedResource { get; private set; }

    /// <summary>Declared properties in declaration order (null when none declared).</summary>
    public IReadOnlyDictionary<string, SchemaNode>? Properties { get; private set; }

    public IReadOnlyList<string> PropertyOrder { get; private set; } = [];

    public IReadOnlyList<string> Required { get; private set; } = [];

    public SchemaNode? AdditionalProperties { get; private set; }

    public SchemaNode? Items { get; private set; }

    public IReadOnlyList<object?>? Enum { get; private set; }

    public double? Minimum { get; private set; }

    public double? Maximum { get; private set; }

    public bool ExclusiveMinimum { get; private set; }

    public bool ExclusiveMaximum { get; private set; }

    public double? MultipleOf { get; private set; }

    public long? MinLength { get; private set; }

    public long? MaxLength { get; private set; }

    public string? Pattern { get; private set; }

    public Regex? PatternRegex { get; private set; }

    public long? MinItems { get; private set; }

    public long? MaxItems { get; private set; }

    public long? MinProperties { get; private set; }

    public long? MaxProperties { get; private set; }

    public string? Format { get; private set; }

    /// <summary>The default as JSON (null when there is none).</summary>
    public JsonNode? Default { get; private set; }

    public bool HasDefault { get; private set; }

    public string? ListType { get; private set; }

    public IReadOnlyList<string> ListMapKeys { get; private set; } = [];

    public IReadOnlyList<JsonObject> Validations { get; private set; } = [];

    /// <summary>CEL-escaped property name → property name (k8s escapes names that are not CEL identifiers).</summary>
    public IReadOnlyDictionary<string, string> CelPropertyNames { get; private set; } = new Dictionary<string, string>();

    /// <summary>Objects typed as maps in CEL: additionalProperties (and no properties).</summary>
    public bool IsMap => Type == "object" && AdditionalProperties is not null && Properties is null;

    public static SchemaNode Parse(JsonObject node, string path)
    {
        var s = new SchemaNode { Path = path };
        foreach (var (key, _) in node)
        {
            if (!KnownKeys.Contains(key))
            {
                // allOf/anyOf/oneOf/not/$ref/patternProperties/uniqueItems etc.: fail loudly rather than ignore.
                throw new NotSupportedException($"{Where(path)}: schema keyword '{key}' is not supported by CrdSchemaValidator");
            }
        }

        s.Type = (string?)node["type"];
        s.Nullable = (bool?)node["nullable"] ?? false;
        s.PreserveUnknownFields = (bool?)node["x-kubernetes-preserve-unknown-fields"] ?? false;
        s.IntOrString = (bool?)node["x-kubernetes-int-or-string"] ?? false;
        s.EmbeddedResource = (bool?)node["x-kubernetes-embedded-resource"] ?? false;
        s.Format = (string?)node["format"];
        s.ListType = (string?)node["x-kubernetes-list-type"];
        s.ListMapKeys = (node["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => (string)k!).ToList() ?? [];
        s.Required = (node["required"] as JsonArray)?.Select(k => (string)k!).ToList() ?? [];
        s.Minimum = Number(node["minimum"]);
        s.Maximum = Number(node["maximum"]);
        s.ExclusiveMinimum = (bool?)node["exclusiveMinimum"] ?? false;
        s.ExclusiveMaximum = (bool?)node["exclusiveMaximum"] ?? false;
        s.MultipleOf = Number(node["multipleOf"]);
        s.MinLength = Integer(node["minLength"]);
        s.MaxLength = Integer(node["maxLength"]);
        s.MinItems = Integer(node["minItems"]);
        s.MaxItems = Integer(node["maxItems"]);
        s.MinProperties = Integer(node["minProperties"]);
        s.MaxProperties = Integer(node["maxProperties"]);
        s.Pattern = (string?)node["pattern"];
        if (s.Pattern is not null)
        {
            s.PatternRegex = CompilePattern(s.Pattern, path);
        }

        if (node.TryGetPropertyValue("default", out var def))
        {
            s.HasDefault = def is not null;
            s.Default = def?.DeepClone();
        }

        if (node["enum"] is JsonArray en)
        {
            s.Enum = en.Select(Unstructured.FromJson).ToList();
        }

        if (node["properties"] is JsonObject props)
        {
            var dict = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
            var order = new List<string>();
            var cel = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, child) in props)
            {
                dict[name] = Parse(child as JsonObject ?? throw new InvalidDataException($"{Where(path)}: property {name} is not an object"), Join(path, name));
                order.Add(name);
                if (CelNames.Escape(name) is { } escaped)
                {
                    cel[escaped] = name;
                }
            }

            s.Properties = dict;
            s.PropertyOrder = order;
            s.CelPropertyNames = cel;
        }

        switch (node["additionalProperties"])
        {
            case JsonObject ap:
                s.AdditionalProperties = Parse(ap, path + ".*");
                break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.False:
                throw new NotSupportedException($"{Where(path)}: additionalProperties: false is not allowed in structural schemas");
        }

        if (node["items"] is JsonObject items)
        {
            s.Items = Parse(items, path + "[*]");
        }

        if (node["x-kubernetes-validations"] is JsonArray rules)
        {
            s.Validations = rules.Select(r => r as JsonObject ?? throw new InvalidDataException($"{Where(path)}: x-kubernetes-validations entry is not an object")).ToList();
        }

        if (s.ListType is not null and not ("atomic" or "set" or "map"))
        {
            throw new NotSupportedException($"{Where(path)}: unknown x-kubernetes-list-type '{s.ListType}'");
        }

        if (s.ListType == "map" && s.ListMapKeys.Count == 0)
        {
            throw new ArgumentException($"{Where(path)}: x-kubernetes-list-type map requires x-kubernetes-list-map-keys");
        }

        return s;
    }

    /// <summary>
    /// Compiles a schema pattern so that it behaves like Go's RE2 in kube-openapi: ASCII \w \d \s (ECMAScript
    /// option) and <c>$</c> matching only at the very end of the text (RE2 without (?m)), not before a final newline.
    /// </summary>
    public static Regex CompilePattern(string pattern, string path)
    {
        var translated = pattern.Contains("(?m", StringComparison.Ordinal) ? pattern : EndAnchorsToEndOfText(pattern);
        try
        {
            return new Regex(translated, RegexOptions.ECMAScript, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            try
            {
                return new Regex(translated, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Where(path)}: invalid pattern '{pattern}': {e.Message}", e);
            }
        }
    }

    private static string EndAnchorsToEndOfText(string pattern)
    {
        var sb = new System.Text.StringBuilder(pattern.Length + 4);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(c).Append(pattern[++i]);
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '$')
            {
                sb.Append("\\z");
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Where(string path) => path.Length == 0 ? "<root>" : path;

    private static double? Number(JsonNode? n) => n is null ? null : Unstructured.FromJson(n) switch
    {
        long l => l,
        double d => d,
        _ => throw new InvalidDataException($"expected a number, got {n.ToJsonString()}"),
    };

    private static long? Integer(JsonNode? n) => n is null ? null : Unstructured.FromJson(n) switch
    {
        long l => l,
        double d when d == Math.Floor(d) => (long)d,
        _ => throw new InvalidDataException($"expected an integer, got {n.ToJsonString()}"),
    };
}

/// <summary>k8s CEL property-name escaping (apiserver/schema/cel/model: escapeIdent).</summary>
internal static partial class CelNames
{
    private static readonly HashSet<string> Reserved =
    [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ];

    /// <summary>The name under which a property is visible in CEL, or null when it is not accessible.</summary>
    public static string? Escape(string name)
    {
        if (Reserved.Contains(name))
        {
            return "__" + name + "__";
        }

        if (!Accessible().IsMatch(name))
        {
            return null;
        }

        return name.Replace("__", "__underscores__", StringComparison.Ordinal)
            .Replace(".", "__dot__", StringComparison.Ordinal)
            .Replace("-", "__dash__", StringComparison.Ordinal)
            .Replace("/", "__slash__", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$")]
    private static partial Regex Accessible();
}

/// <summary>Conversion between System.Text.Json nodes and "unstructured" CLR values (like Go's map[string]interface{}).</summary>
internal static class Unstructured
{
    /// <summary>JSON → string, long (integral numbers), double (other numbers), bool, null, Dictionary, List.</summary>
    public static object? FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in obj)
                {
                    dict[k] = FromJson(v);
                }

                return dict;
            case JsonArray arr:
                return arr.Select(FromJson).ToList();
            case JsonValue val:
                switch (val.GetValueKind())
                {
                    case System.Text.Json.JsonValueKind.String:
                        // Nodes built in code may wrap DateTime, Guid, char...: read them through their JSON text.
                        return val.TryGetValue<string>(out var str)
                            ? str
                            : System.Text.Json.JsonSerializer.Deserialize<string>(val.ToJsonString());
                    case System.Text.Json.JsonValueKind.True:
                        return true;
                    case System.Text.Json.JsonValueKind.False:
                        return false;
                    case System.Text.Json.JsonValueKind.Null:
                        return null;
                    case System.Text.Json.JsonValueKind.Number:
                        var text = val.ToJsonString();
                        if (text.AsSpan().IndexOfAny(".eE") < 0
                            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                        {
                            return l;
                        }

                        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                    default:
                        throw new InvalidDataException($"unsupported JSON value {val.ToJsonString()}");
                }

            default:
                throw new InvalidDataException("unsupported JSON node");
        }
    }

    /// <summary>Deep equality of unstructured values (numbers compare by value).</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        switch (a)
        {
            case null:
                return b is null;
            case string s:
                return b is string t && s == t;
            case bool x:
                return b is bool y && x == y;
            case long or double:
                return b is long or double && Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture)
                    && (a is not long la || b is not long lb || la == lb);
            case IDictionary<string, object?> m:
                return b is IDictionary<string, object?> n && m.Count == n.Count
                    && m.All(kv => n.TryGetValue(kv.Key, out var v) && DeepEquals(kv.Value, v));
            case IList<object?> l1:
                return b is IList<object?> l2 && l1.Count == l2.Count && l1.Zip(l2).All(p => DeepEquals(p.First, p.Second));
            default:
                return Equals(a, b);
        }
    }

    /// <summary>The JSON type name kube-openapi infers for a value ("string", "integer", ...).</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "null",
        string => "string",
        bool => "boolean",
        long => "integer",
        double => "number",
        IDictionary<string, object?> => "object",
        IList<object?> => "array",
        _ => "unknown",
    };

    /// <summary>Go json.Marshal of a scalar (used for non-string enum values).</summary>
    public static string ToJsonText(object? v) => v switch
    {
        null => "null",
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => System.Text.Json.JsonSerializer.Serialize(v),
    };
}
