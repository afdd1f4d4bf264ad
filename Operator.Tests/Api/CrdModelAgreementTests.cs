using System.Collections;
using System.Reflection;
using System.Text.Json.Serialization;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Api;

/// <summary>
/// The CRD YAML and the C# model are written separately; this walks both side by side so they cannot drift: the same
/// property names at every level, compatible types, and a schema-required property is non-nullable in C#.
/// </summary>
[TestFixture]
public sealed class CrdModelAgreementTests
{
    private static readonly NullabilityInfoContext Nullability = new();

    [TestCase(typeof(AWSProvider))]
    [TestCase(typeof(ECSCluster))]
    public void Crd_schema_and_model_agree_field_by_field(Type kind)
    {
        var schema = CrdJsonSchema.OpenApiSchema(kind.Name);
        var mismatches = new List<string>();

        foreach (var part in new[] { "spec", "status" })
        {
            var property = JsonProperties(kind)[part];
            Compare(part, schema["properties"]![part]!.AsObject(), property.PropertyType, mismatches);
        }

        mismatches.Should().BeEmpty();
    }

    [TestCase(typeof(AWSProvider))]
    [TestCase(typeof(ECSCluster))]
    public void Crd_names_match_the_model(Type kind)
    {
        var crd = CrdJsonSchema.LoadCrd(kind.Name);
        var entity = kind.GetCustomAttribute<k8s.Models.KubernetesEntityAttribute>()!;

        crd["spec"]!["group"]!.GetValue<string>().Should().Be(entity.Group);
        crd["spec"]!["names"]!["plural"]!.GetValue<string>().Should().Be(entity.PluralName);
        crd["spec"]!["versions"]![0]!["name"]!.GetValue<string>().Should().Be(entity.ApiVersion);
        crd["spec"]!["scope"]!.GetValue<string>().Should().Be("Namespaced");
        crd["spec"]!["versions"]![0]!["subresources"]!["status"].Should().NotBeNull();
    }

    private static void Compare(string path, JsonObject schema, Type type, List<string> mismatches)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var schemaType = schema["type"]?.GetValue<string>();
        switch (schemaType)
        {
            case "object" when schema["properties"] is JsonObject properties:
                var model = JsonProperties(type);
                foreach (var name in properties.Select(p => p.Key).Except(model.Keys))
                {
                    mismatches.Add($"{path}.{name}: in the CRD, not in {type.Name}");
                }
                foreach (var name in model.Keys.Except(properties.Select(p => p.Key)))
                {
                    mismatches.Add($"{path}.{name}: in {type.Name}, not in the CRD");
                }
                var required = schema["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
                foreach (var (name, prop) in model.Where(m => properties.ContainsKey(m.Key)))
                {
                    var nullable = Nullability.Create(prop).WriteState == NullabilityState.Nullable;
                    if (required.Contains(name) && nullable)
                    {
                        mismatches.Add($"{path}.{name}: required in the CRD but nullable in {type.Name}");
                    }
                    Compare($"{path}.{name}", properties[name]!.AsObject(), prop.PropertyType, mismatches);
                }
                break;
            case "object" when schema["additionalProperties"] is JsonObject values:
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Dictionary<,>))
                {
                    mismatches.Add($"{path}: a map in the CRD, {type.Name} in the model");
                    break;
                }
                Compare($"{path}[*]", values, type.GetGenericArguments()[1], mismatches);
                break;
            case "array":
                var element = type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;
                if (element is null)
                {
                    mismatches.Add($"{path}: an array in the CRD, {type.Name} in the model");
                    break;
                }
                Compare($"{path}[]", schema["items"]!.AsObject(), element, mismatches);
                break;
            default:
                var expected = (schemaType, schema["format"]?.GetValue<string>()) switch
                {
                    ("string", "date-time") => typeof(DateTime),
                    ("string", _) => typeof(string),
                    ("boolean", _) => typeof(bool),
                    ("integer", "int64") => typeof(long),
                    ("integer", _) => typeof(int),
                    _ => null,
                };
                if (expected != type)
                {
                    mismatches.Add($"{path}: {schemaType}/{schema["format"]} in the CRD, {type.Name} in the model");
                }
                break;
        }
    }

    private static Dictionary<string, PropertyInfo> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicyCamel(p.Name));

    private static string JsonNamingPolicyCamel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}
