namespace Operator.Core.Aws.Ecs.Model;

/// <summary>
/// An ECS cluster as returned by the API. Optional parts (settings, configuration, tags, statistics, attachments)
/// are only present when asked for with <see cref="ClusterField"/> on DescribeClusters, or on mutating calls.
/// <see cref="Status"/> is one of <see cref="ClusterStatus"/>.
/// </summary>
public sealed record Cluster
{
    public string? ClusterArn { get; init; }
    public string? ClusterName { get; init; }
    public string? Status { get; init; }
    public int RegisteredContainerInstancesCount { get; init; }
    public int RunningTasksCount { get; init; }
    public int PendingTasksCount { get; init; }
    public int ActiveServicesCount { get; init; }
    public IReadOnlyList<EcsKeyValuePair>? Statistics { get; init; }
    public IReadOnlyList<Tag>? Tags { get; init; }
    public IReadOnlyList<ClusterSetting>? Settings { get; init; }
    public IReadOnlyList<string>? CapacityProviders { get; init; }
    public IReadOnlyList<CapacityProviderStrategyItem>? DefaultCapacityProviderStrategy { get; init; }
    public ClusterConfiguration? Configuration { get; init; }
    public ClusterServiceConnectDefaults? ServiceConnectDefaults { get; init; }
    public IReadOnlyList<Attachment>? Attachments { get; init; }
    public string? AttachmentsStatus { get; init; }
}
