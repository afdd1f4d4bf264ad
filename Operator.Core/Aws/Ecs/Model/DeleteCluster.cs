namespace Operator.Core.Aws.Ecs.Model;

/// <summary>
/// DeleteCluster input. AWS refuses while the cluster has services, tasks or registered container instances
/// (ClusterContainsServices/Tasks/ContainerInstancesException); a deleted cluster is then INACTIVE for a while.
/// </summary>
public sealed record DeleteClusterRequest
{
    public string? Cluster { get; init; }
}

/// <summary>DeleteCluster output: the cluster, now INACTIVE (or DEPROVISIONING while attachments are removed).</summary>
public sealed record DeleteClusterResponse : EcsResponse
{
    public Cluster? Cluster { get; init; }
}
