namespace Operator.Core.Aws.Ecs.Model;

/// <summary>UntagResource input: removes the given keys (absent keys are ignored).</summary>
public sealed record UntagResourceRequest
{
    public string? ResourceArn { get; init; }
    public IReadOnlyList<string> TagKeys { get; init; } = [];
}

/// <summary>UntagResource output (empty).</summary>
public sealed record UntagResourceResponse : EcsResponse;
