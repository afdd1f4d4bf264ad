using Ecs = Operator.Core.Aws.Ecs.Model;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Bulkheads;
using Operator.Core.Providers;

namespace Operator.Core.Clusters;

/// <summary>
/// What one pass of the ECSCluster reconciler knows: the object and its provider as the informer caches held them when
/// the pass began, the pass's clock reading, and the answers of the steps carried out so far (null: not asked yet).
/// <see cref="ClusterDecision.Decide"/> reads nothing else. The executor adds each answer
/// (<see cref="ClusterExecutor.Run.CarryOutAsync"/>); a test builds one by hand. Never holds credentials.
/// </summary>
internal sealed record ClusterObservation
{
    /// <summary>The cached object; never mutated.</summary>
    public required ECSCluster Obj { get; init; }

    /// <summary>The provider as the cache resolves it; for an object being deleted, through its last working
    /// credentials when only its Secret is missing (<see cref="SecretlessDeletion"/>).</summary>
    public required ProviderResolution Resolution { get; init; }

    /// <summary>The pass's one reading of the injected clock (UTC).</summary>
    public required DateTime Now { get; init; }

    /// <summary><see cref="EnterSlot"/>'s answer.</summary>
    public SlotAnswer? Entered { get; init; }

    /// <summary><see cref="LookUp"/>'s answer: the cluster found by name (MISSING and INACTIVE read as none).</summary>
    public Seen? Found { get; init; }

    /// <summary><see cref="CreateCluster"/>'s answer: what CreateCluster returned (the existing cluster when the name was taken).</summary>
    public Seen? Created { get; init; }

    /// <summary><see cref="DescribeCreated"/>'s answer: the cluster read again after a create answer that is not ours.</summary>
    public Seen? Reread { get; init; }

    /// <summary><see cref="AskOwnerGone"/>'s answer: the object another ownership tag names is gone (a GET answered 404).</summary>
    public bool? OwnerGone { get; init; }

    /// <summary><see cref="ApplyDiff"/> is done: its update calls succeeded.</summary>
    public bool? Applied { get; init; }

    /// <summary><see cref="DescribeUpdated"/>'s answer: the cluster read after the update calls.</summary>
    public Seen? Refreshed { get; init; }

    /// <summary><see cref="DescribeRetained"/>'s answer, for releasing a retained cluster.</summary>
    public Reach? Retained { get; init; }

    /// <summary><see cref="ReleaseTag"/>'s answer: the ownership tag removed, or why not.</summary>
    public Reach? Untagged { get; init; }

    /// <summary><see cref="DeleteCluster"/>'s answer.</summary>
    public DeleteAnswer? Deleted { get; init; }

    /// <summary><see cref="ListBlockers"/>'s answer (<see cref="DeletionBlockers.ListAsync"/>).</summary>
    public IReadOnlyList<string>? Blockers { get; init; }

    /// <summary>What a step or effect threw (not the pass's own cancellation).</summary>
    public Exception? Failure { get; init; }

    /// <summary><see cref="AssessFailure"/>'s answer: the failure must be shown now (<see cref="Kubernetes.ApiServerHiccups"/>).</summary>
    public bool? Reportable { get; init; }
}

/// <summary>A read's answer: the cluster, or null when there is none.</summary>
internal sealed record Seen(Ecs.Cluster? Cluster);

/// <summary>A best-effort call's answer: its cluster (for a read), or the failure's message when it could not be made.</summary>
internal sealed record Reach(Ecs.Cluster? Cluster, string? Error);

/// <summary>
/// DeleteCluster's answer: the cluster it returned, or the refusal that is an answer rather than a failure
/// (<see cref="ClusterNotFoundException"/>, or a ClusterContains* exception).
/// </summary>
internal sealed record DeleteAnswer(Ecs.Cluster? Cluster, EcsException? Refusal);
