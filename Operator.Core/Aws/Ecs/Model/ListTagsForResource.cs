namespace Operator.Core.Aws.Ecs.Model;

/// <summary>ListTagsForResource input.</summary>
public sealed record ListTagsForResourceRequest
{
    public string? ResourceArn { get; init; }
}

/// <summary>ListTagsForResource output.</summary>
public sealed record ListTagsForResourceResponse : EcsResponse
{
    public IReadOnlyList<Tag>? Tags { get; init; }
}
