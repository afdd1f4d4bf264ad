namespace Operator.Core.Aws.Ecs.Model;

/// <summary>UpdateClusterSettings input (moto answers 500 to it: prefer UpdateCluster).</summary>
public sealed record UpdateClusterSettingsRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<ClusterSetting>? Settings { get; init; }
}

/// <summary>UpdateClusterSettings output.</summary>
public sealed record UpdateClusterSettingsResponse : EcsResponse
{
    public Cluster? Cluster { get; init; }
}
