namespace Operator.Core.Aws.Ecs.Model;

/// <summary>ListContainerInstances input (used to explain a blocked delete). <c>Status</c>: ACTIVE, DRAINING, ...</summary>
public sealed record ListContainerInstancesRequest
{
    public string? Cluster { get; init; }
    public string? Filter { get; init; }
    public string? Status { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>ListContainerInstances output.</summary>
public sealed record ListContainerInstancesResponse : EcsResponse
{
    public IReadOnlyList<string>? ContainerInstanceArns { get; init; }
    public string? NextToken { get; init; }
}
