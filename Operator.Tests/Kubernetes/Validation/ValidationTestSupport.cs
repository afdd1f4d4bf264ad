using Operator.Testing.Kubernetes.Validation;

namespace Operator.Tests.Kubernetes.Validation;

internal static class ValidationTestSupport
{
    private static readonly Lazy<string> RepoRootLazy = new(() =>
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "manifests", "crds")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root with manifests/crds not found");
    });

    private static readonly Lazy<Dictionary<string, CrdSchemaValidator>> ValidatorsByKind = new(() =>
        Directory.GetFiles(Path.Combine(RepoRoot, "manifests", "crds"), "*.yaml")
            .Select(CrdDocument.Load)
            .ToDictionary(c => c.Kind, c => c.CreateValidator("v1alpha1")));

    public static string RepoRoot => RepoRootLazy.Value;

    public static string SamplesDir => Path.Combine(RepoRoot, "manifests", "samples");

    public static string InvalidSamplesDir => Path.Combine(SamplesDir, "invalid");

    public static CrdSchemaValidator ValidatorFor(string kind) => ValidatorsByKind.Value[kind];

    public static CrdSchemaValidator ValidatorFor(JsonObject obj) => ValidatorFor((string)obj["kind"]!);

    /// <summary>What the apiserver does before validating: prune unknown fields, then default.</summary>
    public static JsonObject Admit(JsonObject obj)
    {
        var v = ValidatorFor(obj);
        v.Prune(obj);
        v.ApplyDefaults(obj);
        return obj;
    }

    public static JsonObject Yaml(string yaml) => (JsonObject)CrdDocument.LoadYamlDocuments(yaml)[0]!;

    /// <summary>A validator for an inline schema written in YAML.</summary>
    public static CrdSchemaValidator Schema(string yaml) => new(Yaml(yaml));

    public static IReadOnlyList<FieldError> Check(CrdSchemaValidator v, string objYaml, string? oldYaml = null) =>
        v.Validate(Yaml(objYaml), oldYaml is null ? null : Yaml(oldYaml));
}
