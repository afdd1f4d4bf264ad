namespace Operator.Core.Aws.Ecs.Model;

/// <summary>ListServices input (used to explain a blocked delete).</summary>
public sealed record ListServicesRequest
{
    public string? Cluster { get; init; }
    public string? LaunchType { get; init; }
    public string? SchedulingStrategy { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>ListServices output.</summary>
public sealed record ListServicesResponse : EcsResponse
{
    public IReadOnlyList<string>? ServiceArns { get; init; }
    public string? NextToken { get; init; }
}
