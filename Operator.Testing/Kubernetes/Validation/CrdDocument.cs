using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

using Operator.Testing.Yaml;

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
    public static IReadOnlyList<JsonNode?> LoadYamlDocuments(string yaml) => YamlJson.ParseAll(yaml);
}
