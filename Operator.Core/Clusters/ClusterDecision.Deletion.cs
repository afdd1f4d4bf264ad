using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Providers;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

internal static partial class ClusterDecision
{
    /// <summary>
    /// A deleted object's pass: with our finalizer on it, the ECS cluster is deleted (<c>Delete</c>) or kept and released
    /// (<c>Retain</c>), then the finalizer goes. An object that never had a cluster in ECS is finalized without any AWS
    /// call and without its provider; one whose provider no longer admits its namespace without any AWS call, the
    /// cluster left in place. A provider not ready, or pointing to another account or region than the cluster's, blocks
    /// the deletion with the ways out; while its check of a new generation is under way the pass simply waits for it.
    /// </summary>
    private static ClusterPlan Finalize(ClusterScript s)
    {
        var obj = s.Obj;
        if (obj.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) != true)
        {
            return s.End(ReconcileResult.Done);
        }
        var name = obj.Spec.ClusterName;
        if (!Ownership.MayExistInEcs(obj))
        {
            // Never created nor adopted (no ARN recorded): nothing of ours can exist in ECS, so no AWS call and no provider.
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"ECS cluster {name} was never created by this object; nothing to delete");
            return FinishDeletion(s, $"ECS cluster {name} was never created by this object", ecsStatus: null);
        }
        var resolution = s.Observation.Resolution;
        if (resolution.AwaitingValidation)
        {
            // The provider's check of its new generation (deleting it is one) is under way: its status write wakes this
            // object, so a Retain still releases and a Delete still deletes, instead of giving up or warning meanwhile.
            return s.End(ReconcileResult.Done);
        }
        if (obj.Spec.DeletionPolicy == DeletionPolicy.Retain)
        {
            return Retain(s, resolution);
        }
        if (resolution.Reason == ClusterConditions.Reasons.ProviderNotAllowed)
        {
            return LeaveRevoked(s, resolution);
        }
        if (!resolution.IsReady)
        {
            var message = $"cannot delete ECS cluster {name}: {resolution.Message}. Fix the provider, or set spec.deletionPolicy: Retain "
                + $"to keep the cluster, or remove the finalizer {ApiGroup.Finalizer} to abandon it.{SecretlessDeletion.Hint(resolution)}";
            return BlockDeletion(s, resolution.Reason!, message);
        }
        if (ProviderMove.Refusal(obj, resolution) is { } refusal)
        {
            // Looking in the provider's account would find nothing and report a deletion that did not happen.
            return BlockDeletion(s, ClusterConditions.Reasons.ProviderChangeRefused,
                $"cannot delete: {refusal}. To delete the cluster, set spec.providerRef back to its account's provider; to keep it, "
                + $"set spec.deletionPolicy: Retain; or remove the finalizer {ApiGroup.Finalizer} to abandon it");
        }
        if (Enter(s, name: null) is { } busy)
        {
            return busy;
        }
        s.Guard(ClusterScript.FailureRules.Report);
        return Delete(s, new EcsTarget(resolution.Provider!, resolution.AccountId!, ForDeletion: true));
    }

    /// <summary>The check before DeleteCluster, DeleteCluster, and what its answer means for the object.</summary>
    private static ClusterPlan Delete(ClusterScript s, EcsTarget target)
    {
        var (obj, o) = (s.Obj, s.Observation);
        var name = obj.Spec.ClusterName;
        if (!s.Has(o.Found))
        {
            return s.Ask(new LookUp(target, name));
        }
        if (o.Found.Cluster is not { } observed)
        {
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"ECS cluster {name} is gone");
            return FinishDeletion(s, $"ECS cluster {name} is gone", Ecs.ClusterStatus.Inactive);
        }
        if (Ownership.Check(obj, observed) != OwnershipState.Ours)
        {
            s.Event(EventSeverity.Warning, ClusterConditions.EventReasons.NotDeleted,
                $"Left ECS cluster {name} in place: it was neither created nor adopted by this object");
            return FinishDeletion(s, $"ECS cluster {name} was left in place: it is not this object's", ecsStatus: null);
        }
        if (!s.Has(o.Deleted))
        {
            return s.Ask(new DeleteCluster(target, observed.ClusterArn ?? name));
        }
        switch (o.Deleted.Refusal)
        {
            case ClusterNotFoundException:
                return FinishDeletion(s, $"ECS cluster {name} is gone", Ecs.ClusterStatus.Inactive);
            case { } refusal:
                var reason = refusal switch
                {
                    ClusterContainsServicesException => ClusterConditions.Reasons.ClusterContainsServices,
                    ClusterContainsTasksException => ClusterConditions.Reasons.ClusterContainsTasks,
                    _ => ClusterConditions.Reasons.ClusterContainsContainerInstances,
                };
                ClusterStatusMapper.Apply(s.Status, observed, s.Now);
                if (!s.Has(o.Blockers))
                {
                    return s.Ask(new ListBlockers(target, observed, refusal));
                }
                return BlockDeletion(s, reason, DeletionBlockers.Message(observed, o.Blockers, s.Options.BlockedRequeue));
        }
        s.Remove(ClusterConditions.DeletionBlocked);
        if (o.Deleted.Cluster is { Status: Ecs.ClusterStatus.Inactive } or null)
        {
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"Deleted ECS cluster {name}");
            return FinishDeletion(s, $"ECS cluster {name} is deleted", Ecs.ClusterStatus.Inactive);
        }
        ClusterStatusMapper.Apply(s.Status, o.Deleted.Cluster, s.Now, observedState: false);
        s.Status.LastSyncTime = s.Now;
        s.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"ECS cluster {name} is being deleted");
        s.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Deleting,
            $"waiting for ECS to finish deleting ECS cluster {name} ({o.Deleted.Cluster.Status})");
        s.WriteStatus();
        return s.End(ReconcileResult.After(s.Options.TransitionRequeue));
    }

    /// <summary>
    /// <c>deletionPolicy: Retain</c>: the cluster stays, released (its ownership tag removed, so another object can adopt
    /// it) when reachable through the provider it lives in; never another object's tag, never after a refused move.
    /// A release that cannot be made is logged, and the retained cluster stays adoptable, as its owner no longer exists.
    /// </summary>
    private static ClusterPlan Retain(ClusterScript s, ProviderResolution resolution)
    {
        var (obj, o) = (s.Obj, s.Observation);
        var name = obj.Spec.ClusterName;
        var released = false;
        if (resolution.IsReady && ProviderMove.Refusal(obj, resolution) is null)
        {
            var target = new EcsTarget(resolution.Provider!, resolution.AccountId!, ForDeletion: true);
            if (!s.Has(o.Retained))
            {
                return s.Ask(new DescribeRetained(target, name));
            }
            var error = o.Retained.Error;
            if (error is null && o.Retained.Cluster is { } cluster && Ownership.OwnerOf(cluster) == Ownership.Owner(obj))
            {
                if (!s.Has(o.Untagged))
                {
                    return s.Ask(new ReleaseTag(target, cluster.ClusterArn!));
                }
                error = o.Untagged.Error;
                if (error is null)
                {
                    s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Released,
                        $"Released ECS cluster {name}: its ownership tag is removed, so another ECSCluster can adopt it with spec.adoptExisting: true");
                    s.Log(LogLevel.Information, "Released ECS cluster {ClusterName}", name);
                }
            }
            if (error is not null)
            {
                s.Log(LogLevel.Warning, "Could not release ECS cluster {ClusterName}: {Error}", name, error);
            }
            released = error is null;
        }
        s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Retained, released
            ? $"Kept ECS cluster {name} (deletionPolicy: Retain)"
            : $"Kept ECS cluster {name} (deletionPolicy: Retain); its ownership tag could not be removed, but another ECSCluster "
                + "can still adopt it with spec.adoptExisting: true once this object is gone");
        return FinishDeletion(s, $"ECS cluster {name} is kept (deletionPolicy: Retain)", ecsStatus: null);
    }

    /// <summary>
    /// Deletion of an object its provider no longer admits (its namespace was removed from
    /// <c>spec.allowedNamespaces</c>): the operator must not act through that provider for this namespace, so the
    /// finalizer is removed without any AWS call, the ECS cluster is left in place, and a Warning event says so.
    /// </summary>
    private static ClusterPlan LeaveRevoked(ClusterScript s, ProviderResolution resolution)
    {
        var obj = s.Obj;
        var where = obj.Status?.ClusterARN ?? obj.Spec.ClusterName;
        var message = $"Left ECS cluster {where} in place without any AWS call: {resolution.Message}. "
            + $"The owner of AWSProvider {ProviderResolver.ProviderKey(obj)} can delete it (it carries the tag {Ownership.TagKey}={Ownership.Owner(obj)})";
        s.Event(EventSeverity.Warning, ClusterConditions.EventReasons.NotDeleted, message);
        s.Log(LogLevel.Warning, "{Message}", message);
        return FinishDeletion(s, $"ECS cluster {obj.Spec.ClusterName} was left in place", ecsStatus: null);
    }

    /// <summary>Deletion cannot go on: the DeletionBlocked status, one Event per blocking reason (its count and message
    /// following the blockers), and a retry after <see cref="ClusterReconcilerOptions.BlockedRequeue"/>.</summary>
    private static ClusterPlan BlockDeletion(ClusterScript s, string reason, string message)
    {
        s.BlockDeletion(reason, message);
        s.WriteStatus();
        s.Event(EventSeverity.Warning, ClusterConditions.EventReasons.DeletionBlocked, message, series: reason);
        return s.End(ReconcileResult.After(s.Options.BlockedRequeue));
    }

    /// <summary>
    /// Ends our part of the deletion: removes our finalizer. When another finalizer still holds the object, its status
    /// first says it is going (Ready and Synced False with <c>Deleting</c>, <paramref name="ecsStatus"/> when ECS's
    /// cluster is gone, and the generation the API server set with deletionTimestamp), so the object never shows Ready
    /// and ACTIVE for a cluster that is gone. Without another finalizer the object goes at once: no status write.
    /// </summary>
    private static ClusterPlan FinishDeletion(ClusterScript s, string message, string? ecsStatus)
    {
        if (s.Obj.Metadata.Finalizers?.Any(f => f != ApiGroup.Finalizer) == true)
        {
            s.Remove(ClusterConditions.DeletionBlocked);
            s.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"{message}; the object waits for its other finalizers");
            s.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Deleting, message);
            if (ecsStatus is not null)
            {
                s.Status.Status = ecsStatus;
            }
            s.WriteStatus();
        }
        s.Do(new RemoveFinalizer());
        return s.End(ReconcileResult.Done);
    }
}
