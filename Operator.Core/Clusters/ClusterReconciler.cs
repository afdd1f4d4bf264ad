using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Providers;
using Operator.Core.Status;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// Makes an ECS cluster match its ECSCluster, reports it in status, and deletes or retains it on deletion.
/// Order of a pass: spec check (InvalidSpec: no AWS call) → provider (ProviderNotReady: no AWS call) → finalizer
/// (always before any create) → DescribeClusters → create, or ownership check then the minimal diff
/// (<see cref="ClusterDiff"/>) → status. Only clusters carrying this object's ownership tag are ever changed or
/// deleted; an unowned cluster of the same name is adopted only with <c>spec.adoptExisting</c>.
/// Steady state is the drift scanner's job (<see cref="DriftScanner"/>): an ACTIVE, converged cluster is not requeued.
/// </summary>
internal sealed class ClusterReconciler(
    ObjectStore<ECSCluster> clusters,
    ProviderResolver providers,
    IAwsCredentialsCache credentials,
    EcsClientCache ecsClients,
    ObjectPatcher patcher,
    IEventRecorder events,
    ClusterReconcilerOptions options,
    TimeProvider time,
    ILogger<ClusterReconciler> logger) : IReconciler
{
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var obj = clusters.Get(request.Key);
        if (obj is null)
        {
            return ReconcileResult.Done;
        }
        var pass = new Pass(obj, time.GetUtcNow().UtcDateTime);
        return obj.Metadata.DeletionTimestamp is null
            ? await ConvergeAsync(pass, ct).ConfigureAwait(false)
            : await FinalizeAsync(pass, ct).ConfigureAwait(false);
    }

    private async Task<ReconcileResult> ConvergeAsync(Pass pass, CancellationToken ct)
    {
        var obj = pass.Obj;
        var resolution = providers.Resolve(obj);
        var problems = SpecCheck.Problems(obj, resolution.Provider);
        if (problems.Count > 0)
        {
            var message = string.Join("; ", problems);
            pass.Set(ClusterConditions.InvalidSpec, true, ClusterConditions.Reasons.InvalidSpec, message);
            pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.InvalidSpec, message);
            pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.InvalidSpec, "the spec is invalid; see the InvalidSpec condition");
            pass.Status.Ready = false;
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.Reasons.InvalidSpec, message, ct).ConfigureAwait(false);
            // Terminal: nothing changes until the spec does, and a spec change is a new generation, hence a new pass.
            return ReconcileResult.Done;
        }
        pass.Remove(ClusterConditions.InvalidSpec);

        if (!resolution.IsReady)
        {
            pass.Set(ClusterConditions.ProviderNotReady, true, resolution.Reason!, resolution.Message!);
            pass.Set(ClusterConditions.Synced, false, resolution.Reason!, resolution.Message!);
            pass.Set(ClusterConditions.Ready, pass.Status.Status == Ecs.ClusterStatus.Active && pass.Status.Ready ? null : false,
                resolution.Reason!, resolution.Message!);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, resolution.Reason!, resolution.Message!, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
        pass.Remove(ClusterConditions.ProviderNotReady);

        if (await RefuseProviderMoveAsync(pass, resolution, ct).ConfigureAwait(false))
        {
            // Terminal: a spec change is a new pass, and a change of the provider wakes its clusters.
            return ReconcileResult.Done;
        }

        if (await patcher.AddFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false))
        {
            logger.LogDebug("Added finalizer {Finalizer}", ApiGroup.Finalizer);
        }

        var provider = resolution.Provider!;
        var ecs = await ClientAsync(provider, resolution.AccountId!, ct).ConfigureAwait(false);
        var desired = DesiredCluster.From(obj, provider);
        try
        {
            var observed = await DescribeAsync(ecs, desired.Name, ct).ConfigureAwait(false);
            if (observed is null)
            {
                var created = await ecs.CreateClusterAsync(desired.ToCreateRequest(), ct).ConfigureAwait(false);
                observed = created.Cluster;
                await events.RecordAsync(obj, EventSeverity.Normal, "Created", $"Created ECS cluster {desired.Name}", ct).ConfigureAwait(false);
                logger.LogInformation("Created ECS cluster {ClusterName}", desired.Name);
                // Create is idempotent on AWS: if it answered with an existing cluster, converge it like any other.
                observed = await DescribeAsync(ecs, desired.Name, ct).ConfigureAwait(false) ?? observed;
            }
            else
            {
                var blocked = await CheckOwnershipAsync(pass, desired, observed, ct).ConfigureAwait(false);
                if (blocked is { } wait)
                {
                    return wait;
                }
            }
            if (observed is null)
            {
                throw new InvalidOperationException($"ECS cluster {desired.Name} is not visible right after CreateCluster");
            }

            var specChanged = pass.Status.ObservedGeneration != obj.Metadata.Generation;
            var diff = ClusterDiff.Compute(desired, observed, specChanged);
            if (!diff.IsEmpty && observed.Status == Ecs.ClusterStatus.Provisioning)
            {
                // Changes to a cluster still being created are applied once it is ACTIVE.
                pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Creating,
                    $"waiting for ECS cluster {desired.Name} to become ACTIVE before applying {diff.Describe()}");
            }
            else
            {
                if (!diff.IsEmpty)
                {
                    observed = await ApplyAsync(ecs, pass, desired, observed, diff, ct).ConfigureAwait(false);
                }
                pass.Set(ClusterConditions.Synced, true, ClusterConditions.Reasons.Synced, "the ECS cluster matches the spec");
            }
            return await ReportAsync(pass, observed, ct).ConfigureAwait(false);
        }
        catch (UpdateInProgressException e)
        {
            pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.UpdateInProgress, $"ECS is still applying a previous capacity provider change: {e.Message}");
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.TransitionRequeue);
        }
        catch (EcsException e) when (!e.Retryable)
        {
            var reason = e is AccessDeniedException ? ClusterConditions.Reasons.AccessDenied
                : e is InvalidParameterException or ClientException ? ClusterConditions.Reasons.InvalidParameter
                : ClusterConditions.Reasons.AwsError;
            var message = $"{e.ErrorCode}: {e.Message}";
            pass.Set(ClusterConditions.Synced, false, reason, message);
            if (pass.Status.ClusterARN is null)
            {
                pass.Set(ClusterConditions.Ready, false, reason, message);
            }
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, reason, message, ct).ConfigureAwait(false);
            throw; // retried with per-item back-off: a missing capacity provider or IAM policy can be fixed meanwhile
        }
    }

    /// <summary>Null when the cluster is ours (or now adopted); otherwise the result to return.</summary>
    private async Task<ReconcileResult?> CheckOwnershipAsync(Pass pass, DesiredCluster desired, Ecs.Cluster observed, CancellationToken ct)
    {
        var obj = pass.Obj;
        switch (Ownership.Check(obj, observed))
        {
            case OwnershipState.Ours:
                return null;
            case OwnershipState.Unowned when obj.Spec.AdoptExisting == true:
            {
                var message = AdoptionMessage(desired, observed);
                await events.RecordAsync(obj, EventSeverity.Normal, "Adopted", message, ct).ConfigureAwait(false);
                logger.LogInformation("{Message}", message);
                return null; // the diff adds the ownership tag and removes the tags listed in the message
            }
            case OwnershipState.Unowned:
            {
                var message = $"an ECS cluster named {observed.ClusterName} already exists and was not created by this object; "
                    + "set spec.adoptExisting: true to manage it, or choose another clusterName";
                await BlockAsync(pass, observed, ClusterConditions.Reasons.AdoptionRequired, message, ct).ConfigureAwait(false);
                return ReconcileResult.Done; // the user must change the spec, which starts a new pass
            }
            default:
            {
                var message = $"ECS cluster {observed.ClusterName} is managed by ECSCluster {Ownership.OwnerOf(observed)}; it will not be changed from here";
                await BlockAsync(pass, observed, ClusterConditions.Reasons.OwnedByAnotherObject, message, ct).ConfigureAwait(false);
                return ReconcileResult.After(options.SlowRequeue);
            }
        }
    }

    private async Task BlockAsync(Pass pass, Ecs.Cluster observed, string reason, string message, CancellationToken ct)
    {
        pass.Set(ClusterConditions.Synced, false, reason, message);
        pass.Set(ClusterConditions.Ready, false, reason, message);
        pass.Status.Ready = false;
        pass.Status.Status = observed.Status;
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, reason, message, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The Adopted event's text. Adoption makes the cluster's tags the managed set, so the pre-existing tags that are
    /// not in it are removed: the event lists them with their values (bounded), so that they can be put in the spec.
    /// </summary>
    internal static string AdoptionMessage(DesiredCluster desired, Ecs.Cluster observed)
    {
        const int MaxListed = 800;
        var removed = ClusterDiff.Compute(desired, observed, specChanged: false).TagKeysToRemove;
        var head = $"Adopted existing ECS cluster {observed.ClusterName}";
        if (removed.Count == 0)
        {
            return $"{head}; none of its tags is removed";
        }
        var values = (observed.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value ?? "", StringComparer.Ordinal);
        var listed = new System.Text.StringBuilder();
        var shown = 0;
        foreach (var key in removed)
        {
            var item = $"{key}={values.GetValueOrDefault(key, "")}";
            if (listed.Length + item.Length > MaxListed)
            {
                break;
            }
            listed.Append(shown == 0 ? "" : ", ").Append(item);
            shown++;
        }
        var more = removed.Count > shown ? $" and {removed.Count - shown} more" : "";
        return $"{head}; removing {removed.Count} pre-existing tag(s) not in the spec (add them to spec.tags to keep them): {listed}{more}";
    }

    /// <summary>
    /// Refuses a provider that would move the existing cluster to another account or region (see
    /// <see cref="ProviderMove"/>): Synced and Ready False with <c>ProviderChangeRefused</c> and a Warning event, no AWS
    /// call; the old cluster is left as it is. True when refused.
    /// </summary>
    private async Task<bool> RefuseProviderMoveAsync(Pass pass, ProviderResolution resolution, CancellationToken ct)
    {
        if (ProviderMove.Refusal(pass.Obj, resolution) is not { } message)
        {
            return false;
        }
        pass.Set(ClusterConditions.Synced, false, ProviderMove.Reason, message);
        pass.Set(ClusterConditions.Ready, false, ProviderMove.Reason, message);
        pass.Status.Ready = false;
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, ProviderMove.Reason, message, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Deletion of an object its provider no longer admits (its namespace was removed from
    /// <c>spec.allowedNamespaces</c>): the operator must not act through that provider for this namespace, so the
    /// finalizer is removed without any AWS call, the ECS cluster is left in place, and a Warning event says so.
    /// </summary>
    private async Task<ReconcileResult> ReleaseRevokedAsync(Pass pass, ProviderResolution resolution, CancellationToken ct)
    {
        var obj = pass.Obj;
        var where = obj.Status?.ClusterARN ?? obj.Spec.ClusterName;
        var message = $"Left ECS cluster {where} in place without any AWS call: {resolution.Message}. "
            + $"The owner of AWSProvider {ProviderResolver.ProviderKey(obj)} can delete it (it carries the tag {Ownership.TagKey}={Ownership.Owner(obj)})";
        await events.RecordAsync(obj, EventSeverity.Warning, "NotDeleted", message, ct).ConfigureAwait(false);
        logger.LogWarning("{Message}", message);
        await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Deletion while the provider points to another account or region than the cluster's: looking there would find
    /// nothing and report a deletion that did not happen, so deletion is blocked with the ways out.
    /// </summary>
    private async Task<ReconcileResult> BlockMovedDeletionAsync(Pass pass, string refusal, CancellationToken ct)
    {
        var message = $"cannot delete: {refusal}. To delete the cluster, set spec.providerRef back to its account's provider; to keep it, "
            + $"set spec.deletionPolicy: Retain; or remove the finalizer {ApiGroup.Finalizer} to abandon it";
        pass.Set(ClusterConditions.DeletionBlocked, true, ProviderMove.Reason, message);
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, "DeletionBlocked", message, ct).ConfigureAwait(false);
        return ReconcileResult.After(options.BlockedRequeue);
    }

    private async Task<Ecs.Cluster> ApplyAsync(
        IEcsClient ecs, Pass pass, DesiredCluster desired, Ecs.Cluster observed, ClusterDiff diff, CancellationToken ct)
    {
        var arn = observed.ClusterArn!;
        if (diff.Update is { } update)
        {
            await ecs.UpdateClusterAsync(update, ct).ConfigureAwait(false);
        }
        if (diff.CapacityProviders is { } put)
        {
            await ecs.PutClusterCapacityProvidersAsync(put, ct).ConfigureAwait(false);
        }
        if (diff.TagKeysToRemove.Count > 0)
        {
            await ecs.UntagResourceAsync(new Ecs.UntagResourceRequest { ResourceArn = arn, TagKeys = diff.TagKeysToRemove }, ct).ConfigureAwait(false);
        }
        if (diff.TagsToSet.Count > 0)
        {
            await ecs.TagResourceAsync(new Ecs.TagResourceRequest { ResourceArn = arn, Tags = diff.TagsToSet }, ct).ConfigureAwait(false);
        }
        var what = diff.Describe();
        logger.LogInformation("Updated ECS cluster {ClusterName}: {Changes}", desired.Name, what);
        await events.RecordAsync(pass.Obj, EventSeverity.Normal, "Updated", $"Updated ECS cluster {desired.Name}: {what}", ct).ConfigureAwait(false);
        return await DescribeAsync(ecs, desired.Name, ct).ConfigureAwait(false) ?? observed;
    }

    private async Task<ReconcileResult> ReportAsync(Pass pass, Ecs.Cluster observed, CancellationToken ct)
    {
        ClusterStatusMapper.Apply(pass.Status, observed, pass.Now);
        var active = observed.Status == Ecs.ClusterStatus.Active;
        var syncedCondition = pass.Find(ClusterConditions.Synced)!;
        var synced = syncedCondition.Status == Conditions.True;
        pass.Status.Ready = active && synced;
        var (reason, message) = active && !synced
            ? (syncedCondition.Reason, syncedCondition.Message)
            : ClusterStatusMapper.ReadyReason(observed);
        pass.Set(ClusterConditions.Ready, pass.Status.Ready, reason, message);
        pass.Status.ObservedGeneration = pass.Obj.Metadata.Generation;
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        return ClusterStatusMapper.IsTransitional(observed) || !synced ? ReconcileResult.After(options.TransitionRequeue)
            : observed.Status == Ecs.ClusterStatus.Failed ? ReconcileResult.After(options.SlowRequeue)
            : ReconcileResult.Done;
    }

    private async Task<ReconcileResult> FinalizeAsync(Pass pass, CancellationToken ct)
    {
        var obj = pass.Obj;
        if (obj.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) != true)
        {
            return ReconcileResult.Done;
        }
        var name = obj.Spec.ClusterName;
        if (obj.Spec.DeletionPolicy == DeletionPolicy.Retain)
        {
            await events.RecordAsync(obj, EventSeverity.Normal, "Retained", $"Kept ECS cluster {name} (deletionPolicy: Retain)", ct).ConfigureAwait(false);
            await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        var resolution = providers.Resolve(obj);
        if (resolution.Reason == ClusterConditions.Reasons.ProviderNotAllowed)
        {
            return await ReleaseRevokedAsync(pass, resolution, ct).ConfigureAwait(false);
        }
        if (!resolution.IsReady)
        {
            var message = $"cannot delete ECS cluster {name}: {resolution.Message}. Fix the provider, or set spec.deletionPolicy: Retain "
                + $"to keep the cluster, or remove the finalizer {ApiGroup.Finalizer} to abandon it";
            pass.Set(ClusterConditions.DeletionBlocked, true, resolution.Reason!, message);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, "DeletionBlocked", message, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
        if (ProviderMove.Refusal(obj, resolution) is { } refusal)
        {
            return await BlockMovedDeletionAsync(pass, refusal, ct).ConfigureAwait(false);
        }
        var ecs = await ClientAsync(resolution.Provider!, resolution.AccountId!, ct).ConfigureAwait(false);
        var observed = await DescribeAsync(ecs, name, ct).ConfigureAwait(false);
        if (observed is null)
        {
            await events.RecordAsync(obj, EventSeverity.Normal, "Deleted", $"ECS cluster {name} is gone", ct).ConfigureAwait(false);
            await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        if (Ownership.Check(obj, observed) != OwnershipState.Ours)
        {
            await events.RecordAsync(obj, EventSeverity.Warning, "NotDeleted",
                $"Left ECS cluster {name} in place: it was neither created nor adopted by this object", ct).ConfigureAwait(false);
            await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        try
        {
            var deleted = await ecs.DeleteClusterAsync(new Ecs.DeleteClusterRequest { Cluster = observed.ClusterArn ?? name }, ct).ConfigureAwait(false);
            pass.Remove(ClusterConditions.DeletionBlocked);
            if (deleted.Cluster is { Status: Ecs.ClusterStatus.Inactive } or null)
            {
                await events.RecordAsync(obj, EventSeverity.Normal, "Deleted", $"Deleted ECS cluster {name}", ct).ConfigureAwait(false);
                await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
            ClusterStatusMapper.Apply(pass.Status, deleted.Cluster, pass.Now);
            pass.Status.Ready = false;
            pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"ECS cluster {name} is being deleted");
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.TransitionRequeue);
        }
        catch (ClusterNotFoundException)
        {
            await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        catch (EcsException e) when (e is ClusterContainsServicesException or ClusterContainsTasksException or ClusterContainsContainerInstancesException)
        {
            var reason = e switch
            {
                ClusterContainsServicesException => ClusterConditions.Reasons.ClusterContainsServices,
                ClusterContainsTasksException => ClusterConditions.Reasons.ClusterContainsTasks,
                _ => ClusterConditions.Reasons.ClusterContainsContainerInstances,
            };
            ClusterStatusMapper.Apply(pass.Status, observed, pass.Now);
            var message = $"ECS refuses to delete cluster {name} while it has {observed.ActiveServicesCount} active services, "
                + $"{observed.RunningTasksCount} running and {observed.PendingTasksCount} pending tasks, and "
                + $"{observed.RegisteredContainerInstancesCount} registered container instances; retrying every {options.BlockedRequeue.TotalSeconds:0}s";
            pass.Set(ClusterConditions.DeletionBlocked, true, reason, message);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, "DeletionBlocked", message, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
    }

    private async Task<IEcsClient> ClientAsync(AWSProvider provider, string accountId, CancellationToken ct)
    {
        var session = await credentials.GetAsync(provider, ct).ConfigureAwait(false);
        return ecsClients.Get(ObjectKey.Of(provider), session, accountId);
    }

    /// <summary>The cluster as ECS reports it, or null when it does not exist (MISSING, or INACTIVE: deleted).</summary>
    internal static async Task<Ecs.Cluster?> DescribeAsync(IEcsClient ecs, string name, CancellationToken ct)
    {
        var response = await ecs.DescribeClustersAsync(new Ecs.DescribeClustersRequest { Clusters = [name], Include = Ecs.ClusterField.All }, ct)
            .ConfigureAwait(false);
        var cluster = response.Clusters?.FirstOrDefault(c => c.ClusterName == name || c.ClusterArn == name);
        return cluster is null || cluster.Status == Ecs.ClusterStatus.Inactive ? null : cluster;
    }

    private Task WriteStatusAsync(Pass pass, CancellationToken ct)
    {
        pass.Status.Conditions = pass.Conditions;
        return patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(pass.Obj, pass.Status, ct);
    }

    /// <summary>One reconcile's working copy of the status, so the cached object is never mutated.</summary>
    private sealed class Pass(ECSCluster obj, DateTime now)
    {
        public ECSCluster Obj { get; } = obj;
        public DateTime Now { get; } = now;
        public ECSClusterStatus Status { get; } = (obj.Status ?? new ECSClusterStatus()) with { };
        public List<V1Condition> Conditions { get; } = Operator.Core.Status.Conditions.Copy(obj.Status?.Conditions);

        public void Set(string type, bool? status, string reason, string message) =>
            Operator.Core.Status.Conditions.Set(Conditions, type, status, reason, message, Obj.Metadata.Generation, Now);

        public void Remove(string type) => Operator.Core.Status.Conditions.Remove(Conditions, type);

        public V1Condition? Find(string type) => Operator.Core.Status.Conditions.Find(Conditions, type);
    }
}
