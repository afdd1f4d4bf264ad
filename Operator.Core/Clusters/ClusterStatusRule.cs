using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Clusters;

/// <summary>
/// The one definition of <c>status.ready</c>: true exactly when the Ready condition is True (Unknown and False are
/// not ready). Every status write of the ECSCluster reconciler applies it, so the operator never writes a status that
/// contradicts its conditions.
/// </summary>
internal static class ClusterStatusRule
{
    public const string Deleting = "DELETING";
    public const string DeletionBlocked = "DELETION_BLOCKED";

    /// <summary>
    /// <c>status.phase</c>, kubectl's STATUS column: the ECS state while the object lives; once it is being deleted,
    /// DELETION_BLOCKED while its DeletionBlocked condition is True, else DELETING. Set by every status writer.
    /// </summary>
    public static string? Phase(bool beingDeleted, ECSClusterStatus status) =>
        !beingDeleted ? status.Status
        : Conditions.IsTrue(status.Conditions, ClusterConditions.DeletionBlocked) ? DeletionBlocked
        : Deleting;

    public static bool IsReady(IEnumerable<k8s.Models.V1Condition>? conditions) =>
        Conditions.Find(conditions, ClusterConditions.Ready)?.Status == Conditions.True;

    /// <summary>True when a status says ready while its Ready condition does not (or the reverse), or shows an ECS
    /// cluster for an object that never reached ECS (<see cref="Ownership.ReachedEcs"/>): written by hand.</summary>
    public static bool Contradicts(ECSCluster obj) =>
        obj.Status is { } status
        && ((status.Ready == true) != IsReady(status.Conditions) || (!Ownership.ReachedEcs(obj) && ClusterStatusMapper.ShowsEcs(status)));
}

/// <summary>
/// Queues an ECSCluster whose status contradicts itself (e.g. a hand-edited <c>ready: true</c> on a blocked object, or a
/// clusterARN on an object that never reached ECS):
/// the controller ignores status-only updates, and a blocked object may have no requeue, so without this the edit
/// would stand. The operator's own writes never contradict, so this never loops.
/// </summary>
internal sealed class ContradictedStatusHandler(Action<string> enqueueCluster) : IInformerHandler<ECSCluster>
{
    public void OnAdd(ECSCluster obj)
    {
        if (ClusterStatusRule.Contradicts(obj))
        {
            enqueueCluster(ObjectKey.Of(obj));
        }
    }

    public void OnUpdate(ECSCluster oldObj, ECSCluster newObj) => OnAdd(newObj);

    public void OnDelete(ECSCluster obj)
    {
    }
}
