using System.Text.Json;
using Json.Schema;

namespace Operator.Tests.Api;

/// <summary>
/// The openAPIV3Schema of a CRD in manifests/crds as a JSON Schema (2020-12) for JsonSchema.Net. The Kubernetes
/// extensions (x-kubernetes-*) are stripped: JsonSchema.Net refuses unknown keywords, and CEL rules are covered by
/// the API emulator's validator instead. OpenAPI's <c>nullable: true</c> becomes a type that also admits null.
/// </summary>
internal static class CrdJsonSchema
{
    public static JsonObject LoadCrd(string kind) =>
        Directory.GetFiles(RepositoryLayout.CrdDirectory, "*.yaml")
            .Select(f => YamlJson.ParseObject(File.ReadAllText(f)))
            .Single(crd => crd["spec"]!["names"]!["kind"]!.GetValue<string>() == kind);

    public static JsonObject OpenApiSchema(string kind) =>
        LoadCrd(kind)["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();

    public static JsonSchema For(string kind)
    {
        var schema = OpenApiSchema(kind).DeepClone().AsObject();
        Strip(schema);
        return JsonSchema.FromText(schema.ToJsonString());
    }

    /// <summary>The JSON-pointer instance locations that failed, e.g. "/spec/clusterName".</summary>
    public static IReadOnlyList<string> Failures(JsonSchema schema, JsonNode instance)
    {
        using var doc = JsonDocument.Parse(instance.ToJsonString());
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => d.InstanceLocation.ToString()).Distinct().ToList();
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).Where(k => k.StartsWith("x-kubernetes-", StringComparison.Ordinal)).ToList())
                {
                    obj.Remove(key);
                }
                if (obj["nullable"] is JsonValue nullable && obj.Remove("nullable") && nullable.GetValue<bool>() && obj["type"] is JsonValue type)
                {
                    obj["type"] = new JsonArray(type.GetValue<string>(), "null");
                }
                foreach (var (_, child) in obj)
                {
                    Strip(child);
                }
                break;
            case JsonArray arr:
                foreach (var child in arr)
                {
                    Strip(child);
                }
                break;
        }
    }
}
