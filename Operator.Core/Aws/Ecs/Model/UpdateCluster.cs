namespace Operator.Core.Aws.Ecs.Model;

/// <summary>UpdateCluster input; null parts are left unchanged.</summary>
public sealed record UpdateClusterRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<ClusterSetting>? Settings { get; init; }
    public ClusterConfiguration? Configuration { get; init; }
    public ClusterServiceConnectDefaults? ServiceConnectDefaults { get; init; }
}

/// <summary>UpdateCluster output.</summary>
public sealed record UpdateClusterResponse : EcsResponse
{
    public Cluster? Cluster { get; init; }
}
