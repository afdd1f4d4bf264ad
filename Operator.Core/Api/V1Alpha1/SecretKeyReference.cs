using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>One key of a Secret in the referencing object's namespace.</summary>
public sealed record SecretKeyReference
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("key")] public string Key { get; set; } = "";
}
