namespace Operator.Core.Aws.Ecs.Model;

/// <summary>A cluster attachment, e.g. a capacity-provider association (<c>type = as_policy</c>) or Service Connect.</summary>
public sealed record Attachment
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public string? Status { get; init; }
    public IReadOnlyList<EcsKeyValuePair>? Details { get; init; }
}
