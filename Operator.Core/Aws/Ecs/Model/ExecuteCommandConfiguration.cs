namespace Operator.Core.Aws.Ecs.Model;

/// <summary>ECS Exec configuration of a cluster. <c>Logging</c> is one of NONE, DEFAULT, OVERRIDE.</summary>
public sealed record ExecuteCommandConfiguration
{
    public string? KmsKeyId { get; init; }
    public string? Logging { get; init; }
    public ExecuteCommandLogConfiguration? LogConfiguration { get; init; }
}
