using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>A cluster setting; ECS knows one today: containerInsights = enabled | disabled | enhanced.</summary>
public sealed record ClusterSetting
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("value")] public string Value { get; set; } = "";
}
