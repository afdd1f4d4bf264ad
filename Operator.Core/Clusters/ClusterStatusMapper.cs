using System.Text.Json;
using System.Text.Json.Serialization;
using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>How a DescribeClusters answer shows in an ECSCluster's status.</summary>
internal static partial class ClusterStatusMapper
{
    /// <summary>Copies ARN, state, counts and (unless <paramref name="observedState"/> is false) the observed
    /// capacity providers, strategy, settings, configuration, Service Connect defaults and tags; <c>lastSyncTime</c>
    /// moves only when something else changed, so an unchanged cluster costs no status write. Pass false for an
    /// answer that may leave the optional parts out (DeleteCluster), so they are not mistaken for removed.</summary>
    public static void Apply(ECSClusterStatus status, Ecs.Cluster cluster, DateTime now, bool observedState = true)
    {
        var changed = Differs(status, cluster, observedState);
        status.ClusterARN = cluster.ClusterArn;
        status.Status = cluster.Status;
        status.RegisteredContainerInstancesCount = cluster.RegisteredContainerInstancesCount;
        status.RunningTasksCount = cluster.RunningTasksCount;
        status.PendingTasksCount = cluster.PendingTasksCount;
        status.ActiveServicesCount = cluster.ActiveServicesCount;
        if (observedState)
        {
            var observed = ObservedState.Of(cluster);
            status.CapacityProviders = observed.CapacityProviders;
            status.DefaultCapacityProviderStrategy = observed.DefaultCapacityProviderStrategy;
            status.Settings = observed.Settings;
            status.Configuration = observed.Configuration;
            status.ServiceConnectDefaults = observed.ServiceConnectDefaults;
            status.Tags = observed.Tags;
        }
        if (changed || status.LastSyncTime is null)
        {
            status.LastSyncTime = now;
        }
    }

    /// <summary>
    /// Clears everything the status says about an ECS cluster (ARN, state, counts, observed fields, lastSyncTime): for an
    /// object that never reached ECS (<see cref="Ownership.ReachedEcs"/>), whose status only a person can have written.
    /// </summary>
    public static void Forget(ECSClusterStatus status)
    {
        status.ClusterARN = null;
        status.Status = null;
        status.RegisteredContainerInstancesCount = null;
        status.RunningTasksCount = null;
        status.PendingTasksCount = null;
        status.ActiveServicesCount = null;
        status.CapacityProviders = null;
        status.DefaultCapacityProviderStrategy = null;
        status.Settings = null;
        status.Configuration = null;
        status.ServiceConnectDefaults = null;
        status.Tags = null;
        status.LastSyncTime = null;
    }

    /// <summary>True when the status says anything about an ECS cluster (what <see cref="Forget"/> clears).</summary>
    public static bool ShowsEcs(ECSClusterStatus? status) =>
        status is not null && (status.ClusterARN is not null || status.Status is not null || status.RunningTasksCount is not null
            || status.PendingTasksCount is not null || status.ActiveServicesCount is not null || status.RegisteredContainerInstancesCount is not null
            || status.CapacityProviders is not null || status.DefaultCapacityProviderStrategy is not null || status.Settings is not null
            || status.Configuration is not null || status.ServiceConnectDefaults is not null || status.Tags is not null);

    /// <summary>True when the observed values differ from what the status shows.</summary>
    public static bool Differs(ECSClusterStatus? status, Ecs.Cluster cluster, bool observedState = true) =>
        status is null
        || (observedState && ObservedState.Of(status).Json() != ObservedState.Of(cluster).Json())
        || status.ClusterARN != cluster.ClusterArn
        || status.Status != cluster.Status
        || status.RegisteredContainerInstancesCount != cluster.RegisteredContainerInstancesCount
        || status.RunningTasksCount != cluster.RunningTasksCount
        || status.PendingTasksCount != cluster.PendingTasksCount
        || status.ActiveServicesCount != cluster.ActiveServicesCount;

    public static (string Reason, string Message) ReadyReason(Ecs.Cluster cluster) => cluster.Status switch
    {
        Ecs.ClusterStatus.Active when cluster.AttachmentsStatus == Ecs.ClusterStatus.UpdateInProgress =>
            (ClusterConditions.Reasons.Active, $"ECS cluster {cluster.ClusterName} is ACTIVE (capacity provider update in progress)"),
        Ecs.ClusterStatus.Active => (ClusterConditions.Reasons.Active, $"ECS cluster {cluster.ClusterName} is ACTIVE"),
        Ecs.ClusterStatus.Provisioning => (ClusterConditions.Reasons.Provisioning, $"ECS cluster {cluster.ClusterName} is being created"),
        Ecs.ClusterStatus.Deprovisioning => (ClusterConditions.Reasons.Deprovisioning, $"ECS cluster {cluster.ClusterName} is being deleted"),
        Ecs.ClusterStatus.Failed => (ClusterConditions.Reasons.Failed,
            $"ECS cluster {cluster.ClusterName} is FAILED (check the operator logs and the capacity providers)"),
        _ => (ClusterConditions.Reasons.Inactive, $"ECS cluster {cluster.ClusterName} is {cluster.Status}"),
    };

    public static bool IsTransitional(Ecs.Cluster cluster) =>
        cluster.Status is Ecs.ClusterStatus.Provisioning or Ecs.ClusterStatus.Deprovisioning
        || cluster.AttachmentsStatus == Ecs.ClusterStatus.UpdateInProgress;

    /// <summary>
    /// The observed part of the status in a canonical form (sorted, empty as null), so comparing two of them by
    /// their JSON is comparing content: ECS's list order and the status's key order never cause a write.
    /// </summary>
    private sealed record ObservedState(
        List<string>? CapacityProviders,
        List<CapacityProviderStrategyItem>? DefaultCapacityProviderStrategy,
        List<ClusterSetting>? Settings,
        ClusterConfiguration? Configuration,
        ServiceConnectDefaults? ServiceConnectDefaults,
        Dictionary<string, string>? Tags)
    {
        public static ObservedState Of(Ecs.Cluster c)
        {
            var exec = c.Configuration?.ExecuteCommandConfiguration;
            var log = exec?.LogConfiguration;
            return new(
                NullIfEmpty(c.CapacityProviders?.Order(StringComparer.Ordinal)),
                NullIfEmpty(c.DefaultCapacityProviderStrategy?.OrderBy(i => i.CapacityProvider, StringComparer.Ordinal)
                    .Select(i => new CapacityProviderStrategyItem { CapacityProvider = i.CapacityProvider, Weight = i.Weight, Base = i.Base })),
                NullIfEmpty(c.Settings?.OrderBy(x => x.Name, StringComparer.Ordinal).Select(x => new ClusterSetting { Name = x.Name, Value = x.Value })),
                exec is null ? null : new ClusterConfiguration
                {
                    ExecuteCommandConfiguration = new ExecuteCommandConfiguration
                    {
                        KmsKeyId = exec.KmsKeyId,
                        Logging = exec.Logging,
                        LogConfiguration = log is null ? null : new ExecuteCommandLogConfiguration
                        {
                            CloudWatchLogGroupName = log.CloudWatchLogGroupName,
                            CloudWatchEncryptionEnabled = log.CloudWatchEncryptionEnabled,
                            S3BucketName = log.S3BucketName,
                            S3EncryptionEnabled = log.S3EncryptionEnabled,
                            S3KeyPrefix = log.S3KeyPrefix,
                        },
                    },
                },
                c.ServiceConnectDefaults?.Namespace is { Length: > 0 } ns ? new ServiceConnectDefaults { Namespace = ns } : null,
                c.Tags is { Count: > 0 } tags
                    ? tags.GroupBy(t => t.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                        .ToDictionary(g => g.Key, g => g.First().Value ?? "", StringComparer.Ordinal)
                    : null);
        }

        public static ObservedState Of(ECSClusterStatus s) => new(
            NullIfEmpty(s.CapacityProviders?.Order(StringComparer.Ordinal)),
            NullIfEmpty(s.DefaultCapacityProviderStrategy?.OrderBy(i => i.CapacityProvider, StringComparer.Ordinal)),
            NullIfEmpty(s.Settings?.OrderBy(x => x.Name, StringComparer.Ordinal)),
            s.Configuration,
            s.ServiceConnectDefaults,
            s.Tags is { Count: > 0 } tags ? tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal) : null);

        public string Json() => JsonSerializer.Serialize(this, ObservedStateJson.Default.ObservedState);

        private static List<T>? NullIfEmpty<T>(IEnumerable<T>? items) => items?.ToList() is { Count: > 0 } list ? list : null;
    }

    /// <summary>Source-generated (no reflection in the AOT binary); default options: only equality of two outputs matters.</summary>
    [JsonSerializable(typeof(ObservedState))]
    private sealed partial class ObservedStateJson : JsonSerializerContext;
}
