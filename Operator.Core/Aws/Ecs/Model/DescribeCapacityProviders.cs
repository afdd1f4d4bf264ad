namespace Operator.Core.Aws.Ecs.Model;

/// <summary>DescribeCapacityProviders input: names or ARNs (null lists every provider, paged).</summary>
public sealed record DescribeCapacityProvidersRequest
{
    public IReadOnlyList<string>? CapacityProviders { get; init; }
    public IReadOnlyList<string>? Include { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>DescribeCapacityProviders output: unknown names come back in <see cref="Failures"/> (MISSING).</summary>
public sealed record DescribeCapacityProvidersResponse : EcsResponse
{
    public IReadOnlyList<CapacityProvider>? CapacityProviders { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
    public string? NextToken { get; init; }
}
