using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>The desired ECS cluster. Lists are compared order-insensitively against AWS.</summary>
public sealed record ECSClusterSpec
{
    [JsonPropertyName("providerRef")] public ProviderReference ProviderRef { get; set; } = new();
    [JsonPropertyName("clusterName")] public string ClusterName { get; set; } = "";
    [JsonPropertyName("capacityProviders")] public List<string>? CapacityProviders { get; set; }
    [JsonPropertyName("defaultCapacityProviderStrategy")] public List<CapacityProviderStrategyItem>? DefaultCapacityProviderStrategy { get; set; }
    [JsonPropertyName("settings")] public List<ClusterSetting>? Settings { get; set; }
    [JsonPropertyName("configuration")] public ClusterConfiguration? Configuration { get; set; }
    [JsonPropertyName("serviceConnectDefaults")] public ServiceConnectDefaults? ServiceConnectDefaults { get; set; }
    [JsonPropertyName("tags")] public Dictionary<string, string>? Tags { get; set; }
    [JsonPropertyName("deletionPolicy")] public string? DeletionPolicy { get; set; }

    /// <summary>
    /// Take over an ECS cluster of the same name that exists but carries no ownership tag of this object.
    /// Off by default: the operator never changes or deletes a cluster it did not create or adopt.
    /// </summary>
    [JsonPropertyName("adoptExisting")] public bool? AdoptExisting { get; set; }
}
