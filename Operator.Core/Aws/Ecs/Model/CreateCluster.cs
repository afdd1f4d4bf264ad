namespace Operator.Core.Aws.Ecs.Model;

/// <summary>CreateCluster input. On AWS, creating an existing ACTIVE cluster name returns that cluster unchanged.</summary>
public sealed record CreateClusterRequest
{
    public string? ClusterName { get; init; }
    public IReadOnlyList<Tag>? Tags { get; init; }
    public IReadOnlyList<ClusterSetting>? Settings { get; init; }
    public ClusterConfiguration? Configuration { get; init; }
    public IReadOnlyList<string>? CapacityProviders { get; init; }
    public IReadOnlyList<CapacityProviderStrategyItem>? DefaultCapacityProviderStrategy { get; init; }
    public ClusterServiceConnectDefaults? ServiceConnectDefaults { get; init; }
}

/// <summary>CreateCluster output.</summary>
public sealed record CreateClusterResponse : EcsResponse
{
    public Cluster? Cluster { get; init; }
}
