namespace Operator.Core.Aws.Ecs.Model;

/// <summary>A capacity provider (FARGATE, FARGATE_SPOT or an Auto Scaling group provider). Only the fields the operator reads.</summary>
public sealed record CapacityProvider
{
    public string? CapacityProviderArn { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Type { get; init; }
    public string? UpdateStatus { get; init; }
    public string? UpdateStatusReason { get; init; }
    public IReadOnlyList<Tag>? Tags { get; init; }
}
