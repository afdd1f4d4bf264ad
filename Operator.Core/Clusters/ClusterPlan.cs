using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// What <see cref="ClusterDecision.Decide"/> asks the executor to do next: <see cref="Effects"/> in order, then either
/// the step <see cref="Next"/> (whose answer goes into the observation for the next decision), or the end of the pass:
/// <see cref="Rethrow"/> when set, else <see cref="Result"/>. <see cref="HandlesFailure"/> marks the plan that
/// reports an earlier failure: a failure of its own ends the pass as it is. Data only: carrying it out is
/// <see cref="ClusterExecutor"/>'s job.
/// </summary>
internal sealed record ClusterPlan(IReadOnlyList<ClusterEffect> Effects, ClusterStep? Next, ReconcileResult Result, Exception? Rethrow)
{
    public bool HandlesFailure { get; init; }

    /// <summary>The pass ends after the effects.</summary>
    public bool IsLast => Next is null;
}

/// <summary>A write of the pass: status, an Event, our finalizer, the ownership annotation, or a log line.</summary>
internal abstract record ClusterEffect;

/// <summary>Patch <c>/status</c> to <paramref name="Status"/> (complete: ready, phase and observedGeneration set).</summary>
internal sealed record WriteStatus(ECSClusterStatus Status) : ClusterEffect;

/// <param name="Series">See <see cref="IEventRecorder.RecordAsync"/>.</param>
internal sealed record RecordEvent(EventSeverity Severity, string Reason, string Message, string? Series = null) : ClusterEffect;

internal sealed record AddFinalizer : ClusterEffect;

internal sealed record RemoveFinalizer : ClusterEffect;

/// <summary>Record <paramref name="Arn"/> in <see cref="Ownership.CreatedArnAnnotation"/>.</summary>
internal sealed record RecordOwnership(string Arn) : ClusterEffect;

/// <summary>A log line; <paramref name="Template"/> is a message template with <paramref name="Args"/> as its values.</summary>
internal sealed record LogLine(LogLevel Level, string Template, params object?[] Args) : ClusterEffect;

/// <summary>A question for the world; its answer is a field of <see cref="ClusterObservation"/>.</summary>
internal abstract record ClusterStep;

/// <summary>The ECS account a step reaches: the provider, its validated account, and whether the object is being
/// deleted (then a Secret that is gone falls back to the provider's last working credentials).</summary>
internal sealed record EcsTarget(AWSProvider Provider, string AccountId, bool ForDeletion);

/// <summary>
/// A slot of the provider's bulkhead for the rest of the pass (parked for a wake-up when none is free) and, when
/// <paramref name="Name"/> is set, the lock of that ECS cluster name (<see cref="OwnershipGate.LockAsync"/>).
/// </summary>
internal sealed record EnterSlot(string ProviderKey, ClusterName? Name) : ClusterStep;

/// <summary>An ECS cluster name in an account and region.</summary>
internal sealed record ClusterName(string AccountId, string Region, string Name);

/// <summary>DescribeClusters by name (through <see cref="IClusterLookup"/>, batched with other objects' lookups).</summary>
internal sealed record LookUp(EcsTarget Target, string Name) : ClusterStep;

internal sealed record CreateCluster(EcsTarget Target, Ecs.CreateClusterRequest Request) : ClusterStep;

/// <summary>DescribeClusters after a create whose answer is not ours.</summary>
internal sealed record DescribeCreated(EcsTarget Target, string Name) : ClusterStep;

/// <summary>GET the ECSCluster an ownership tag names (<see cref="OwnershipGate.OwnerIsGoneAsync"/>).</summary>
internal sealed record AskOwnerGone(string? Owner) : ClusterStep;

/// <summary>UpdateCluster, PutClusterCapacityProviders, UntagResource and TagResource as <paramref name="Diff"/> says.</summary>
internal sealed record ApplyDiff(EcsTarget Target, ClusterDiff Diff, string Arn) : ClusterStep;

/// <summary>DescribeClusters after the update calls.</summary>
internal sealed record DescribeUpdated(EcsTarget Target, string Name) : ClusterStep;

/// <summary>DescribeClusters of a retained cluster; a failure of the ECS or HTTP call or of the credentials is an answer.</summary>
internal sealed record DescribeRetained(EcsTarget Target, string Name) : ClusterStep;

/// <summary>UntagResource of our ownership tag; a failure of the ECS or HTTP call or of the credentials is an answer.</summary>
internal sealed record ReleaseTag(EcsTarget Target, string Arn) : ClusterStep;

/// <summary>DeleteCluster; ECS's refusals (not found, still in use) are an answer (<see cref="DeleteAnswer"/>).</summary>
internal sealed record DeleteCluster(EcsTarget Target, string Cluster) : ClusterStep;

/// <summary>The names of what keeps ECS from deleting <paramref name="Cluster"/> (<see cref="DeletionBlockers.ListAsync"/>).</summary>
internal sealed record ListBlockers(EcsTarget Target, Ecs.Cluster Cluster, EcsException Refusal) : ClusterStep;

/// <summary>Whether <paramref name="Failure"/> must be reported now or only retried (<see cref="Kubernetes.ApiServerHiccups"/>).</summary>
internal sealed record AssessFailure(Exception Failure) : ClusterStep;
