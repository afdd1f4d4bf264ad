namespace Operator.Core.Aws.Ecs.Model;

/// <summary>TagResource input: adds or overwrites tags (at most 50 per resource, no <c>aws:</c> keys).</summary>
public sealed record TagResourceRequest
{
    public string? ResourceArn { get; init; }
    public IReadOnlyList<Tag> Tags { get; init; } = [];
}

/// <summary>TagResource output (empty).</summary>
public sealed record TagResourceResponse : EcsResponse;
