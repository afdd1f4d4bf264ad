namespace Operator.Core.Aws.Ecs.Model;

/// <summary>DescribeClusters input: up to 100 names or ARNs; <see cref="Include"/> takes <see cref="ClusterField"/> values.</summary>
public sealed record DescribeClustersRequest
{
    public IReadOnlyList<string>? Clusters { get; init; }
    public IReadOnlyList<string>? Include { get; init; }
}

/// <summary>DescribeClusters output: unknown clusters come back in <see cref="Failures"/> with reason MISSING.</summary>
public sealed record DescribeClustersResponse : EcsResponse
{
    public IReadOnlyList<Cluster>? Clusters { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
}
