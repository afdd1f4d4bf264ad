using System.Text.Json.Serialization;
using k8s.Models;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>The observed ECS cluster, as of <see cref="LastSyncTime"/>.</summary>
public sealed record ECSClusterStatus
{
    /// <summary>True only when <see cref="Status"/> is ACTIVE and the spec has been applied.</summary>
    [JsonPropertyName("ready")] public bool Ready { get; set; }
    [JsonPropertyName("clusterARN")] public string? ClusterARN { get; set; }
    /// <summary>PROVISIONING, ACTIVE, DEPROVISIONING, FAILED or INACTIVE, as ECS reports it.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    /// <summary>kubectl's STATUS column: <see cref="Status"/>, or DELETING / DELETION_BLOCKED while the object is deleted.</summary>
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("registeredContainerInstancesCount")] public int? RegisteredContainerInstancesCount { get; set; }
    [JsonPropertyName("runningTasksCount")] public int? RunningTasksCount { get; set; }
    [JsonPropertyName("pendingTasksCount")] public int? PendingTasksCount { get; set; }
    [JsonPropertyName("activeServicesCount")] public int? ActiveServicesCount { get; set; }

    // What ECS reports for the fields the spec sets, named as in the spec so desired and actual read side by side.
    // Lists are sorted by name (ECS's order carries no meaning here) and empty ones are omitted.
    [JsonPropertyName("capacityProviders")] public List<string>? CapacityProviders { get; set; }
    [JsonPropertyName("defaultCapacityProviderStrategy")] public List<CapacityProviderStrategyItem>? DefaultCapacityProviderStrategy { get; set; }
    [JsonPropertyName("settings")] public List<ClusterSetting>? Settings { get; set; }
    [JsonPropertyName("configuration")] public ClusterConfiguration? Configuration { get; set; }
    /// <summary>The Cloud Map namespace as ECS reports it (an ARN, even when the spec names it).</summary>
    [JsonPropertyName("serviceConnectDefaults")] public ServiceConnectDefaults? ServiceConnectDefaults { get; set; }
    /// <summary>Every tag on the cluster, including the provider's defaultTags and the operator's ownership tag.</summary>
    [JsonPropertyName("tags")] public Dictionary<string, string>? Tags { get; set; }
    /// <summary>
    /// The optional spec fields this object has set at some generation (see Clusters.SpecFields): once listed,
    /// such a field's absence means "empty" (server-side apply stores an applied empty list or object as absent), so
    /// removing it clears it in ECS; a field never set is left as ECS has it.
    /// </summary>
    [JsonPropertyName("managedSpecFields")] public List<string>? ManagedSpecFields { get; set; }
    [JsonPropertyName("lastSyncTime")] public DateTime? LastSyncTime { get; set; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("conditions")] public List<V1Condition>? Conditions { get; set; }
}
