namespace Operator.Core.Aws.Ecs.Model;

/// <summary>ListTasks input (used to explain a blocked delete). <c>DesiredStatus</c>: RUNNING, PENDING, STOPPED.</summary>
public sealed record ListTasksRequest
{
    public string? Cluster { get; init; }
    public string? ServiceName { get; init; }
    public string? Family { get; init; }
    public string? DesiredStatus { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>ListTasks output.</summary>
public sealed record ListTasksResponse : EcsResponse
{
    public IReadOnlyList<string>? TaskArns { get; init; }
    public string? NextToken { get; init; }
}
