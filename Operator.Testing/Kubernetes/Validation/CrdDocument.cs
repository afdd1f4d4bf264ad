using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// A CustomResourceDefinition loaded from YAML, plus the YAML → JSON conversion used for CRDs and custom resources.
/// Scalars are resolved like sigs.k8s.io/yaml (go-yaml v2): plain ints become JSON integers, plain floats numbers,
/// true/false/yes/no/on/off booleans (not y/n), null/~/empty null; quoted or explicitly tagged (!!str) scalars stay strings.
/// </summary>
public sealed partial class CrdDocument
{
    private CrdDocument(JsonObject crd)
    {
        Crd = crd;
        var spec = crd["spec"] as JsonObject ?? throw new InvalidDataException("CRD has no spec");
        Group = (string?)spec["group"] ?? throw new InvalidDataException("CRD spec.group missing");
        var names = spec["names"] as JsonObject ?? throw new InvalidDataException("CRD spec.names missing");
        Kind = (string?)names["kind"] ?? throw new InvalidDataException("CRD spec.names.kind missing");
        Plural = (string?)names["plural"] ?? throw new InvalidDataException("CRD spec.names.plural missing");
        Versions = (spec["versions"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(v => (string?)v["name"] ?? "")
            .ToList();
    }

    /// <summary>The whole CRD as JSON.</summary>
    public JsonObject Crd { get; }

    public string Group { get; }

    public string Kind { get; }

    public string Plural { get; }

    public IReadOnlyList<string> Versions { get; }

    /// <summary>Loads a CRD from a YAML file (the first document in it).</summary>
    public static CrdDocument Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses a CRD from YAML text (the first document).</summary>
    public static CrdDocument Parse(string yaml)
    {
        var doc = LoadYamlDocuments(yaml).FirstOrDefault() as JsonObject
            ?? throw new InvalidDataException("YAML does not contain an object");
        if ((string?)doc["kind"] != "CustomResourceDefinition")
        {
            throw new InvalidDataException($"expected kind CustomResourceDefinition, got '{(string?)doc["kind"]}'");
        }

        return new CrdDocument(doc);
    }

    /// <summary>The version's <c>schema.openAPIV3Schema</c> node (a deep copy).</summary>
    public JsonObject GetSchema(string version) => GetSchema(Crd, version);

    /// <summary>A validator for the version's schema.</summary>
    public CrdSchemaValidator CreateValidator(string version) => new(GetSchema(version));

    /// <summary>The <c>schema.openAPIV3Schema</c> node of <paramref name="version"/> in a CRD given as JSON (a deep copy).</summary>
    public static JsonObject GetSchema(JsonObject crd, string version)
    {
        var versions = crd["spec"]?["versions"] as JsonArray ?? throw new InvalidDataException("CRD has no spec.versions");
        foreach (var v in versions.OfType<JsonObject>())
        {
            if ((string?)v["name"] == version)
            {
                var schema = v["schema"]?["openAPIV3Schema"] as JsonObject
                    ?? throw new InvalidDataException($"version {version} has no schema.openAPIV3Schema");
                return (JsonObject)schema.DeepClone();
            }
        }

        throw new KeyNotFoundException($"CRD has no version '{version}'");
    }

    /// <summary>Reads a YAML file holding one object (e.g. a custom resource) as JSON.</summary>
    public static JsonObject LoadYamlObject(string path) =>
        LoadYamlDocuments(File.ReadAllText(path)).FirstOrDefault() as JsonObject
        ?? throw new InvalidDataException($"{path} does not contain a YAML mapping");

    /// <summary>Converts every document of a YAML stream to JSON (empty documents are skipped).</summary>
    public static IReadOnlyList<JsonNode?> LoadYamlDocuments(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        var result = new List<JsonNode?>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is YamlScalarNode { Value: null or "" } && doc.RootNode.Tag.IsEmpty)
            {
                continue;
            }

            result.Add(ToJson(doc.RootNode));
        }

        return result;
    }

    /// <summary>Converts a single YAML node to JSON.</summary>
    public static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode ks ? ks.Value ?? "" : throw new InvalidDataException("non-scalar mapping key");
                    obj[key] = ToJson(v);
                }

                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    arr.Add(ToJson(item));
                }

                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new InvalidDataException($"unsupported YAML node {node.NodeType}");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is not null)
        {
            return tag switch
            {
                "tag:yaml.org,2002:str" => JsonValue.Create(value),
                "tag:yaml.org,2002:int" => JsonValue.Create(long.Parse(value, CultureInfo.InvariantCulture)),
                "tag:yaml.org,2002:float" => JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture)),
                "tag:yaml.org,2002:bool" => JsonValue.Create(ParseBool(value) ?? throw new InvalidDataException($"not a bool: {value}")),
                "tag:yaml.org,2002:null" => null,
                _ => JsonValue.Create(value),
            };
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (ParseBool(value) is { } b)
        {
            return JsonValue.Create(b);
        }

        var plain = value.Replace("_", "", StringComparison.Ordinal);
        if (IntRegex().IsMatch(plain))
        {
            if (long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return JsonValue.Create(l);
            }

            return JsonValue.Create(double.Parse(plain, CultureInfo.InvariantCulture));
        }

        if (HexRegex().IsMatch(plain))
        {
            var neg = plain.StartsWith('-');
            var digits = plain.TrimStart('+', '-')[2..];
            var l = long.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            return JsonValue.Create(neg ? -l : l);
        }

        if (FloatRegex().IsMatch(plain))
        {
            return JsonValue.Create(double.Parse(plain, CultureInfo.InvariantCulture));
        }

        return JsonValue.Create(value);
    }

    private static bool? ParseBool(string value) => value switch
    {
        // go-yaml v2 (YAML 1.1) booleans; the single letters y/Y/n/N are deliberately left as strings.
        "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON" => true,
        "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntRegex();

    [GeneratedRegex(@"^[-+]?0x[0-9a-fA-F]+$")]
    private static partial Regex HexRegex();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();
}
