namespace Operator.Core.Leadership;

/// <summary>The Lease that decides which replica runs the workers.</summary>
internal sealed record LeaderElectionOptions
{
    public bool Enabled { get; init; } = true;
    public string LeaseNamespace { get; init; } = "infra-operator-system";
    public string LeaseName { get; init; } = "infra-operator-leader";

    /// <summary>This replica's identity in the Lease (the pod name in a cluster).</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
