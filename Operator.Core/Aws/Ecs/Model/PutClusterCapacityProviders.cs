namespace Operator.Core.Aws.Ecs.Model;

/// <summary>
/// PutClusterCapacityProviders input. Both lists are required and replace the current ones (send empty lists to
/// clear). AWS answers UpdateInProgressException while a previous association is still being applied.
/// </summary>
public sealed record PutClusterCapacityProvidersRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<string> CapacityProviders { get; init; } = [];
    public IReadOnlyList<CapacityProviderStrategyItem> DefaultCapacityProviderStrategy { get; init; } = [];
}

/// <summary>PutClusterCapacityProviders output.</summary>
public sealed record PutClusterCapacityProvidersResponse : EcsResponse
{
    public Cluster? Cluster { get; init; }
}
