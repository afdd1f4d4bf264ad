namespace Operator.Core.Clusters;

/// <summary>Requeue intervals of the ECSCluster reconciler.</summary>
internal sealed record ClusterReconcilerOptions
{
    /// <summary>While ECS reports PROVISIONING, DEPROVISIONING or an attachment update in progress.</summary>
    public TimeSpan TransitionRequeue { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>While deletion is blocked by services, tasks or instances, or a provider is not ready.</summary>
    public TimeSpan BlockedRequeue { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After FAILED, or a cluster that must be adopted or belongs to another object.</summary>
    public TimeSpan SlowRequeue { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after the ECSCluster's creation a missing or not-ready AWSProvider is reported without a Warning Event
    /// (<see cref="Providers.DependencyGrace"/>): applied together, the provider's watch event can come second.
    /// </summary>
    public TimeSpan ProviderGrace { get; init; } = Providers.DependencyGrace.Default;

    /// <summary>When the provider already has its share of the workers (<see cref="ProviderBulkhead"/>).</summary>
    public TimeSpan BusyRequeue { get; init; } = TimeSpan.FromSeconds(2);
}
