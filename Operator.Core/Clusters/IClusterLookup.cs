using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Informers;
using Operator.Core.Providers;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// Finds one ECS cluster by name, the way the reconciler's lookup before CreateCluster needs it: the cluster as ECS
/// reports it with every field, or null when it does not exist (MISSING, or INACTIVE: deleted).
/// </summary>
internal interface IClusterLookup
{
    /// <summary>
    /// Reads <paramref name="name"/> through <paramref name="ecs"/> (its credentials, account and region).
    /// <paramref name="upcoming"/> names other clusters of the same client whose lookups are expected soon (new
    /// objects of the same provider); an implementation may read them in the same call.
    /// Throws what the read threw (<see cref="EcsException"/>, <see cref="HttpRequestException"/>, …), or
    /// <see cref="OperationCanceledException"/> when <paramref name="ct"/> fires.
    /// </summary>
    Task<Ecs.Cluster?> FindAsync(IEcsClient ecs, string name, Func<IEnumerable<string>>? upcoming, CancellationToken ct);

    /// <summary>
    /// As <see cref="FindAsync"/>, for the check before DeleteCluster: <paramref name="deleting"/> names the clusters of
    /// the client's other objects being deleted, and an implementation may read them in the same call and answer their
    /// own check from that read for a short while (found or not).
    /// </summary>
    Task<Ecs.Cluster?> FindForDeletionAsync(IEcsClient ecs, string name, Func<IEnumerable<string>> deleting, CancellationToken ct) =>
        FindAsync(ecs, name, null, ct);
}

/// <summary>Settings of <see cref="ClusterLookup"/>.</summary>
internal sealed record ClusterLookupOptions
{
    /// <summary>DescribeClusters takes at most 100 names.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>How long a first caller waits for others to join its call when none is in flight. Zero (the default)
    /// sends at once, so a lookup is never slower than a plain DescribeClusters; callers still share a call while one is
    /// in flight, and the read-ahead of new objects (not the window) is what batches a burst of creates.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.Zero;

    /// <summary>How long a "not found" read for an upcoming name, not yet asked for, may answer its first lookup.</summary>
    public TimeSpan PrefetchTtl { get; init; } = TimeSpan.FromSeconds(60);
}
