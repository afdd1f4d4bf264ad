using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>One entry of the default capacity provider strategy. AWS treats an absent weight or base as 0.</summary>
public sealed record CapacityProviderStrategyItem
{
    [JsonPropertyName("capacityProvider")] public string CapacityProvider { get; set; } = "";
    [JsonPropertyName("weight")] public int? Weight { get; set; }
    [JsonPropertyName("base")] public int? Base { get; set; }
}
