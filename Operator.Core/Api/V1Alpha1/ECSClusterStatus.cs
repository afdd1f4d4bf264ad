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
    [JsonPropertyName("registeredContainerInstancesCount")] public int? RegisteredContainerInstancesCount { get; set; }
    [JsonPropertyName("runningTasksCount")] public int? RunningTasksCount { get; set; }
    [JsonPropertyName("pendingTasksCount")] public int? PendingTasksCount { get; set; }
    [JsonPropertyName("activeServicesCount")] public int? ActiveServicesCount { get; set; }
    [JsonPropertyName("lastSyncTime")] public DateTime? LastSyncTime { get; set; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("conditions")] public List<V1Condition>? Conditions { get; set; }
}
