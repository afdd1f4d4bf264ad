namespace Operator.Core.Clusters;

/// <summary>Requeue intervals of the ECSCluster reconciler; a converged ACTIVE cluster is not requeued (the drift scanner reads it).</summary>
internal sealed record ClusterReconcilerOptions
{
    /// <summary>
    /// While ECS reports PROVISIONING, DEPROVISIONING or an attachment update in progress, while the spec is not yet
    /// applied (Synced False, e.g. UpdateInProgress), and while a deleted cluster is still going away in ECS.
    /// </summary>
    public TimeSpan TransitionRequeue { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While deletion is blocked (services, tasks or instances; a refused provider change; a provider that cannot be
    /// used), and while the provider is not found, not allowed or not ready. Not while the provider awaits its first
    /// validation: its status write wakes the cluster, without a timer.
    /// </summary>
    public TimeSpan BlockedRequeue { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After FAILED, or while the ECS cluster belongs to another object. A cluster that must be adopted
    /// (AdoptionRequired) and an invalid spec are not requeued: only a spec change can help, and it starts a new pass.
    /// </summary>
    public TimeSpan SlowRequeue { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after the ECSCluster's creation a missing or not-ready AWSProvider is reported without a Warning Event
    /// (<see cref="Providers.DependencyGrace"/>): applied together, the provider's watch event can come second.
    /// </summary>
    public TimeSpan ProviderGrace { get; init; } = Providers.DependencyGrace.Default;

    /// <summary>When the provider already has its share of the workers (<see cref="ProviderBulkhead"/>).</summary>
    public TimeSpan BusyRequeue { get; init; } = TimeSpan.FromSeconds(2);
}
