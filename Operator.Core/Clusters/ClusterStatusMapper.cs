using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>How a DescribeClusters answer shows in an ECSCluster's status.</summary>
internal static class ClusterStatusMapper
{
    /// <summary>Copies ARN, state and counts; <c>lastSyncTime</c> moves only when something else changed, so an
    /// unchanged cluster costs no status write.</summary>
    public static void Apply(ECSClusterStatus status, Ecs.Cluster cluster, DateTime now)
    {
        var changed = Differs(status, cluster);
        status.ClusterARN = cluster.ClusterArn;
        status.Status = cluster.Status;
        status.RegisteredContainerInstancesCount = cluster.RegisteredContainerInstancesCount;
        status.RunningTasksCount = cluster.RunningTasksCount;
        status.PendingTasksCount = cluster.PendingTasksCount;
        status.ActiveServicesCount = cluster.ActiveServicesCount;
        if (changed || status.LastSyncTime is null)
        {
            status.LastSyncTime = now;
        }
    }

    /// <summary>True when the observed values differ from what the status shows.</summary>
    public static bool Differs(ECSClusterStatus? status, Ecs.Cluster cluster) =>
        status is null
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
}
