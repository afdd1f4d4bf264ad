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
/// (always before any create) → DescribeClusters → create → the ownership gate (<see cref="Ownership"/>, also right
/// after CreateCluster, which answers with the existing cluster when the name is taken) → the minimal diff
/// (<see cref="ClusterDiff"/>) → status. Only clusters that pass the gate are ever changed or deleted. Every status
/// write derives <c>status.ready</c> from the Ready condition and sets <c>observedGeneration</c>
/// (<see cref="WriteStatusAsync"/>). An object that never had a cluster in ECS is finalized without any AWS call.
/// Steady state is the drift scanner's job (<see cref="DriftScanner"/>): an ACTIVE, converged cluster is not requeued.
/// The AWS work of a pass runs inside a <see cref="ProviderBulkhead"/> slot of its provider; without a free slot the
/// key is parked (<see cref="ProviderWaitList"/>) until one of the provider's slots is free, and the worker is free
/// at once. The controller asks first (<see cref="Admit"/>): a key whose provider has no free slot is parked before
/// any pass, so waiting for a slot costs no reconcile; a pass that still finds the slots taken (another worker was
/// quicker) parks the same way. The lookup before create goes through <see cref="IClusterLookup"/> (batched with other new objects). Every
/// failure ends in a condition (<c>Synced=False</c>, and <c>Ready=False</c> while no cluster is known) and a Warning
/// Event with a sanitised message (<see cref="ReconcileFailure"/>), then the key backs off; but a 409 Conflict on one
/// of our writes (the cache was older than the object, see <see cref="ApiErrors.IsConflict"/>) is only retried, with
/// back-off and no condition or Event, since the next pass reads the newer object; and a failure of the API server
/// itself (unreachable, 429, 5xx, 401/403 while it starts) is only retried until it has lasted
/// <see cref="ApiServerHiccups.Grace"/>.
/// </summary>
internal sealed class ClusterReconciler(
    ObjectStore<ECSCluster> clusters,
    ProviderResolver providers,
    IAwsCredentialsCache credentials,
    EcsClientCache ecsClients,
    ObjectPatcher patcher,
    IEventRecorder events,
    OwnershipGate gate,
    ClusterReconcilerOptions options,
    ProviderBulkhead bulkhead,
    IClusterLookup lookup,
    ProviderWaitList waiting,
    TimeProvider time,
    ApiServerHiccups hiccups,
    ILogger<ClusterReconciler> logger) : IReconciler, IReconcileAdmission
{
    /// <summary>
    /// Defers a key whose provider has no free slot: parked with the request's priority and woken when a slot frees.
    /// Every pass waits for its provider's slot this way, also one that would need no AWS call (an invalid spec, a
    /// provider not ready): a slot always frees, since every holder gives it back at the end of its pass.
    /// </summary>
    public bool Admit(ReconcileRequest request)
    {
        if (clusters.Get(request.Key) is not { } obj)
        {
            return true;
        }
        var provider = ProviderResolver.ProviderKey(obj);
        if (bulkhead.InUse(provider) < bulkhead.Capacity)
        {
            return true;
        }
        if (!waiting.Park(provider, request.Key, request.Priority))
        {
            return true; // no wake-up wired: the pass requeues on its timer
        }
        bulkhead.CountBusy(provider);
        logger.LogDebug("Provider {Provider} already has {Capacity} reconciles in flight; {Key} parked until one ends",
            provider, bulkhead.Capacity, request.Key);
        return false;
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        try
        {
            return await ReconcileObjectAsync(request, ct).ConfigureAwait(false);
        }
        finally
        {
            waiting.Settled(request.Key);
        }
    }

    private async Task<ReconcileResult> ReconcileObjectAsync(ReconcileRequest request, CancellationToken ct)
    {
        var obj = clusters.Get(request.Key);
        if (obj is null)
        {
            return ReconcileResult.Done;
        }
        var pass = new Pass(obj, time.GetUtcNow().UtcDateTime) { Priority = request.Priority };
        return obj.Metadata.DeletionTimestamp is null
            ? await ConvergeAsync(pass, ct).ConfigureAwait(false)
            : await FinalizeAsync(pass, ct).ConfigureAwait(false);
    }

    private async Task<ReconcileResult> ConvergeAsync(Pass pass, CancellationToken ct)
    {
        var obj = pass.Obj;
        if (!Ownership.ReachedEcs(obj))
        {
            // Never created nor adopted: whatever the status says about an ECS cluster was not written by the operator
            // (a hand edit, a restore) and is cleared; a pass that reaches ECS writes what ECS says.
            ClusterStatusMapper.Forget(pass.Status);
        }
        var resolution = providers.Resolve(obj);
        var problems = SpecCheck.Problems(obj, resolution.Provider);
        if (problems.Count > 0)
        {
            var message = string.Join("; ", problems);
            pass.Set(ClusterConditions.InvalidSpec, true, ClusterConditions.Reasons.InvalidSpec, message);
            pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.InvalidSpec, message);
            pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.InvalidSpec, "the spec is invalid; see the InvalidSpec condition");
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.Reasons.InvalidSpec, message, ct).ConfigureAwait(false);
            // Terminal: nothing changes until the spec does, and a spec change is a new generation, hence a new pass.
            return ReconcileResult.Done;
        }
        pass.Remove(ClusterConditions.InvalidSpec);

        if (!resolution.IsReady && resolution.AwaitingValidation && resolution.Provider?.Status?.Ready == true)
        {
            // A provider that authenticated before is being checked again (a new generation: an edit, or its deletion):
            // nothing is known to be wrong, so the cluster keeps its conditions (no flap to Unknown) and waits for the
            // check to land; the provider's status write wakes it (ProviderDependents).
            return ReconcileResult.Done;
        }
        if (!resolution.IsReady)
        {
            pass.Set(ClusterConditions.ProviderNotReady, true, resolution.Reason!, resolution.Message!);
            pass.Set(ClusterConditions.Synced, false, resolution.Reason!, resolution.Message!);
            pass.Set(ClusterConditions.Ready, pass.Status.Status == Ecs.ClusterStatus.Active && pass.Status.Ready ? null : false,
                resolution.Reason!, resolution.Message!);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            if (resolution.AwaitingValidation)
            {
                // A wait, not a fault: the provider's status write wakes this cluster (ProviderDependents), no timer needed.
                return ReconcileResult.Done;
            }
            if (resolution.Reason is not ClusterConditions.Reasons.ProviderNotAllowed
                && DependencyGrace.Remaining(obj.Metadata, pass.Now, options.ProviderGrace) is { } grace)
            {
                // Most likely applied together with this cluster: the provider's watch wakes it, the timer warns if not.
                return ReconcileResult.After(grace < options.BlockedRequeue ? grace : options.BlockedRequeue);
            }
            await events.RecordAsync(obj, EventSeverity.Warning, resolution.Reason!, resolution.Message!, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
        pass.Remove(ClusterConditions.ProviderNotReady);

        if (await RefuseProviderMoveAsync(pass, resolution, ct).ConfigureAwait(false))
        {
            // Terminal: a spec change is a new pass, and a change of the provider wakes its clusters.
            return ReconcileResult.Done;
        }

        using var slot = Enter(obj);
        if (slot is null)
        {
            return Busy(pass);
        }

        var provider = resolution.Provider!;
        var desired = DesiredCluster.From(obj, provider);
        using var claim = await gate.LockAsync(resolution.AccountId!, provider.Spec.Region, desired.Name, ct).ConfigureAwait(false);
        try
        {
            if (await patcher.AddFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false))
            {
                logger.LogDebug("Added finalizer {Finalizer}", ApiGroup.Finalizer);
            }

            var ecs = await ClientAsync(provider, resolution.AccountId!, ct).ConfigureAwait(false);
            // Batched with the lookups of other new objects of this provider (ClusterLookup).
            var observed = await lookup.FindAsync(ecs, desired.Name, ClusterLookup.NewObjectsOf(clusters, obj), ct).ConfigureAwait(false);
            var created = false;
            if (observed is null)
            {
                var answer = await ecs.CreateClusterAsync(desired.ToCreateRequest(), ct).ConfigureAwait(false);
                // Create is idempotent on AWS: it answers with the existing cluster when the name is taken, so what it
                // answered goes through the same ownership gate as a cluster found by DescribeClusters. An answer that
                // carries our ownership tag is the whole new cluster (settings, capacity providers, tags): converge
                // from it without a re-read; any other answer is read again, so the gate sees the tags ECS stores.
                observed = answer.Cluster is { } fresh && Ownership.OwnerOf(fresh) == Ownership.Owner(obj)
                    ? fresh
                    : await DescribeAsync(ecs, desired.Name, ct).ConfigureAwait(false) ?? answer.Cluster
                        ?? throw new InvalidOperationException($"ECS cluster {desired.Name} is not visible right after CreateCluster");
                created = Ownership.OwnerOf(observed) == Ownership.Owner(obj);
            }
            var blocked = await CheckOwnershipAsync(pass, desired, observed, ct).ConfigureAwait(false);
            if (blocked is { } wait)
            {
                return wait;
            }
            await RecordOwnershipAsync(obj, observed, ct).ConfigureAwait(false);
            if (created)
            {
                pass.Changed = true;
                await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Created, $"Created ECS cluster {desired.Name}", ct).ConfigureAwait(false);
                logger.LogInformation("Created ECS cluster {ClusterName}", desired.Name);
            }

            // Values AWS rewrites are re-sent only when the spec changed since the last pass that synced it.
            var specChanged = pass.Find(ClusterConditions.Synced) is not { Status: Conditions.True } lastSync
                || lastSync.ObservedGeneration != obj.Metadata.Generation;
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
                    pass.Changed = true;
                }
                var note = DesiredCluster.CaseOnlyTagNote(obj, provider);
                if (note is not null && pass.Find(ClusterConditions.Synced)?.Message?.Contains(note, StringComparison.Ordinal) != true)
                {
                    // Once: when the note first appears in the condition (the next passes find it there).
                    await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.TagKeysDifferInCase, note, ct).ConfigureAwait(false);
                }
                pass.Set(ClusterConditions.Synced, true, ClusterConditions.Reasons.Synced,
                    note is null ? "the ECS cluster matches the spec" : $"the ECS cluster matches the spec; note: {note}");
                // From now on these fields' absence means empty (SpecFields).
                pass.Status.ManagedSpecFields = SpecFields.Managed(obj);
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
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested) && !ApiErrors.IsConflict(e))
        {
            throw await ReportFailureAsync(pass, e, ct).ConfigureAwait(false);
        }
    }

    private ProviderBulkhead.Slot? Enter(ECSCluster obj)
    {
        var slot = bulkhead.TryEnter(ProviderResolver.ProviderKey(obj));
        if (slot is not null)
        {
            waiting.Entered(ObjectKey.Of(obj));
        }
        return slot;
    }

    private ReconcileResult Busy(Pass pass)
    {
        var obj = pass.Obj;
        logger.LogDebug("Provider {Provider} already has {Capacity} reconciles in flight; parked until one ends",
            ProviderResolver.ProviderKey(obj), bulkhead.Capacity);
        // Woken when a slot of the provider is free (ProviderWaitList); on a timer only where that is not wired.
        return waiting.Park(ProviderResolver.ProviderKey(obj), ObjectKey.Of(obj), pass.Priority) ? ReconcileResult.Done : ReconcileResult.After(options.BusyRequeue);
    }

    /// <summary>
    /// Reports a failure no other catch handled (timeouts, unreachable endpoints, throttling that outlasted the
    /// retries, credential renewals, Kubernetes errors): <c>Synced=False</c>, <c>Ready=False</c> while no cluster is
    /// known, a Warning Event. Returns the exception to rethrow, so the key backs off per item.
    /// </summary>
    private async Task<Exception> ReportFailureAsync(Pass pass, Exception e, CancellationToken ct)
    {
        var failure = ReconcileFailure.Of(e);
        if (!hiccups.ShouldReport(ObjectKey.Of(pass.Obj), e))
        {
            // The API server restarting or overloaded: retried with back-off, shown only if it lasts (ApiServerHiccups).
            return e;
        }
        pass.Set(ClusterConditions.Synced, false, failure.Reason, failure.Message);
        if (pass.Status.ClusterARN is null)
        {
            pass.Set(ClusterConditions.Ready, false, failure.Reason, failure.Message);
            pass.Status.Ready = false;
        }
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, failure.Reason, failure.Message, ct).ConfigureAwait(false);
        return failure.ToException(e);
    }

    /// <summary>The ownership gate: null when the cluster is ours (or now adopted on purpose); otherwise the result to
    /// return, after reporting why. Nothing is changed in ECS on a blocked path.</summary>
    private async Task<ReconcileResult?> CheckOwnershipAsync(Pass pass, DesiredCluster desired, Ecs.Cluster observed, CancellationToken ct)
    {
        var obj = pass.Obj;
        var state = Ownership.Check(obj, observed);
        if (state == OwnershipState.Ours)
        {
            return null;
        }
        var owner = Ownership.OwnerOf(observed);
        var adopt = obj.Spec.AdoptExisting == true;
        if (adopt && state == OwnershipState.Unowned)
        {
            var message = AdoptionMessage(desired, observed);
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Adopted, message, ct).ConfigureAwait(false);
            logger.LogInformation("{Message}", message);
            return null; // the diff adds the ownership tag and removes the tags listed in the message
        }
        if (adopt && state == OwnershipState.OtherOwner && await gate.OwnerIsGoneAsync(owner, ct).ConfigureAwait(false))
        {
            // The same account of what adoption removes as for an unowned cluster: the previous owner's tags are not ours.
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Adopted,
                AdoptionMessage(desired, observed, $"its previous owner, {TenantView.Describe(obj.Metadata.NamespaceProperty, ECSCluster.KindName, owner)}, no longer exists"),
                ct).ConfigureAwait(false);
            logger.LogInformation("Adopting ECS cluster {ClusterName} left by the deleted ECSCluster {Owner}", observed.ClusterName, owner);
            return null;
        }
        if (state == OwnershipState.Unowned)
        {
            var message = $"an ECS cluster named {observed.ClusterName} already exists and was not created by this object; "
                + "set spec.adoptExisting: true to manage it, or choose another clusterName";
            await BlockAsync(pass, observed, ClusterConditions.Reasons.AdoptionRequired, message, ct).ConfigureAwait(false);
            return ReconcileResult.Done; // the user must change the spec, which starts a new pass
        }
        // The owner is named only to a tenant of its own namespace: another namespace's objects are none of this one's business.
        var other = TenantView.IsOwn(obj.Metadata.NamespaceProperty, owner)
            ? $"ECS cluster {observed.ClusterName} is managed by ECSCluster {owner}; it will not be changed from here. "
                + $"To manage it from this object, delete ECSCluster {owner} with spec.deletionPolicy: Retain (which releases the cluster) "
                + "and set spec.adoptExisting: true here (a cluster whose owner no longer exists is adopted then too), or choose another clusterName"
            : $"ECS cluster {observed.ClusterName} is owned by another object (an ECSCluster in another namespace); it will not be changed "
                + "from here. It can be managed from this object only after its owner releases it (deleted with spec.deletionPolicy: Retain) "
                + "and this object sets spec.adoptExisting: true; otherwise choose another clusterName";
        await BlockAsync(pass, observed, ClusterConditions.Reasons.OwnedByAnotherObject, other, ct).ConfigureAwait(false);
        return ReconcileResult.After(options.SlowRequeue);
    }

    /// <summary>Records the owned cluster's ARN on the object, durably, so it is recognised even without its tag.</summary>
    private async Task RecordOwnershipAsync(ECSCluster obj, Ecs.Cluster observed, CancellationToken ct)
    {
        if (observed.ClusterArn is { Length: > 0 } arn
            && await patcher.SetAnnotationAsync(obj, Ownership.CreatedArnAnnotation, arn, ct).ConfigureAwait(false))
        {
            logger.LogDebug("Recorded ECS cluster {ClusterArn} as this object's own", arn);
        }
    }

    private async Task BlockAsync(Pass pass, Ecs.Cluster observed, string reason, string message, CancellationToken ct)
    {
        pass.Set(ClusterConditions.Synced, false, reason, message);
        pass.Set(ClusterConditions.Ready, false, reason, message);
        pass.Status.Status = observed.Status;
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, reason, message, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The Adopted event's text. Adoption makes the cluster's tags the managed set, so the pre-existing tags that are
    /// not in it are removed: the event lists them with their values (bounded), so that they can be put in the spec.
    /// </summary>
    internal static string AdoptionMessage(DesiredCluster desired, Ecs.Cluster observed, string? why = null)
    {
        const int MaxListed = 800;
        var removed = ClusterDiff.Compute(desired, observed, specChanged: false).TagKeysToRemove;
        var head = $"Adopted existing ECS cluster {observed.ClusterName}{(why is null ? "" : $" ({why})")}";
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
        var tags = removed.Count == 1 ? "1 pre-existing tag" : $"{removed.Count} pre-existing tags";
        return $"{head}; removing {tags} not in the spec (add them to spec.tags to keep them): {listed}{more}";
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
        pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.ProviderChangeRefused, message);
        pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.ProviderChangeRefused, message);
        pass.Status.Ready = false;
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, ClusterConditions.Reasons.ProviderChangeRefused, message, ct).ConfigureAwait(false);
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
        await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.EventReasons.NotDeleted, message, ct).ConfigureAwait(false);
        logger.LogWarning("{Message}", message);
        await FinishDeletionAsync(pass, $"ECS cluster {obj.Spec.ClusterName} was left in place", ecsStatus: null, ct).ConfigureAwait(false);
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
        pass.BlockDeletion(ClusterConditions.Reasons.ProviderChangeRefused, message);
        await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        await events.RecordAsync(pass.Obj, EventSeverity.Warning, ClusterConditions.EventReasons.DeletionBlocked, message, ct,
            series: ClusterConditions.Reasons.ProviderChangeRefused).ConfigureAwait(false);
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
        await events.RecordAsync(pass.Obj, EventSeverity.Normal, ClusterConditions.EventReasons.Updated, $"Updated ECS cluster {desired.Name}: {what}", ct).ConfigureAwait(false);
        return await DescribeAsync(ecs, desired.Name, ct).ConfigureAwait(false) ?? observed;
    }

    private async Task<ReconcileResult> ReportAsync(Pass pass, Ecs.Cluster observed, CancellationToken ct)
    {
        ClusterStatusMapper.Apply(pass.Status, observed, pass.Now);
        if (pass.Changed)
        {
            pass.Status.LastSyncTime = pass.Now; // the operator changed the cluster in this pass
        }
        var active = observed.Status == Ecs.ClusterStatus.Active;
        var syncedCondition = pass.Find(ClusterConditions.Synced)!;
        var synced = syncedCondition.Status == Conditions.True;
        var (reason, message) = active && !synced
            ? (syncedCondition.Reason, syncedCondition.Message)
            : ClusterStatusMapper.ReadyReason(observed);
        pass.Set(ClusterConditions.Ready, active && synced, reason, message);
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
        if (!Ownership.MayExistInEcs(obj))
        {
            // Never created nor adopted (no ARN recorded): nothing of ours can exist in ECS, so no AWS call and no provider.
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"ECS cluster {name} was never created by this object; nothing to delete", ct)
                .ConfigureAwait(false);
            await FinishDeletionAsync(pass, $"ECS cluster {name} was never created by this object", ecsStatus: null, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        // A provider whose Secret was deleted can still delete (or release) with its last working credentials.
        var resolution = SecretlessDeletion.Resolve(providers.Resolve(obj), credentials);
        if (resolution.AwaitingValidation)
        {
            // The provider's check of its new generation (deleting it is one) is under way: its status write wakes this
            // object, so a Retain still releases and a Delete still deletes, instead of giving up or warning meanwhile.
            return ReconcileResult.Done;
        }
        if (obj.Spec.DeletionPolicy == DeletionPolicy.Retain)
        {
            // Released only through the provider the cluster lives in (never after a refused move to another account).
            var released = resolution.IsReady && ProviderMove.Refusal(obj, resolution) is null
                && await ReleaseAsync(obj, resolution, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Retained, released
                ? $"Kept ECS cluster {name} (deletionPolicy: Retain)"
                : $"Kept ECS cluster {name} (deletionPolicy: Retain); its ownership tag could not be removed, but another ECSCluster "
                    + "can still adopt it with spec.adoptExisting: true once this object is gone", ct).ConfigureAwait(false);
            await FinishDeletionAsync(pass, $"ECS cluster {name} is kept (deletionPolicy: Retain)", ecsStatus: null, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        if (resolution.Reason == ClusterConditions.Reasons.ProviderNotAllowed)
        {
            return await ReleaseRevokedAsync(pass, resolution, ct).ConfigureAwait(false);
        }
        if (!resolution.IsReady)
        {
            var message = $"cannot delete ECS cluster {name}: {resolution.Message}. Fix the provider, or set spec.deletionPolicy: Retain "
                + $"to keep the cluster, or remove the finalizer {ApiGroup.Finalizer} to abandon it.{SecretlessDeletion.Hint(resolution)}";
            pass.BlockDeletion(resolution.Reason!, message);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.EventReasons.DeletionBlocked, message, ct,
                series: resolution.Reason).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
        if (ProviderMove.Refusal(obj, resolution) is { } refusal)
        {
            return await BlockMovedDeletionAsync(pass, refusal, ct).ConfigureAwait(false);
        }

        using var slot = Enter(obj);
        if (slot is null)
        {
            return Busy(pass);
        }
        try
        {
            return await DeleteAsync(pass, resolution, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested) && !ApiErrors.IsConflict(e))
        {
            throw await ReportFailureAsync(pass, e, ct).ConfigureAwait(false);
        }
    }

    private async Task<ReconcileResult> DeleteAsync(Pass pass, ProviderResolution resolution, CancellationToken ct)
    {
        var obj = pass.Obj;
        var name = obj.Spec.ClusterName;
        var ecs = await ClientAsync(resolution.Provider!, resolution.AccountId!, ct, forDeletion: true).ConfigureAwait(false);
        // Batched with the checks of the provider's other deletions (ClusterLookup's deletion read-ahead).
        var observed = await lookup.FindForDeletionAsync(ecs, name, ClusterLookup.DeletionsOf(clusters, obj), ct).ConfigureAwait(false);
        if (observed is null)
        {
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"ECS cluster {name} is gone", ct).ConfigureAwait(false);
            await FinishDeletionAsync(pass, $"ECS cluster {name} is gone", Ecs.ClusterStatus.Inactive, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        if (Ownership.Check(obj, observed) != OwnershipState.Ours)
        {
            await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.EventReasons.NotDeleted,
                $"Left ECS cluster {name} in place: it was neither created nor adopted by this object", ct).ConfigureAwait(false);
            await FinishDeletionAsync(pass, $"ECS cluster {name} was left in place: it is not this object's", ecsStatus: null, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        try
        {
            var deleted = await ecs.DeleteClusterAsync(new Ecs.DeleteClusterRequest { Cluster = observed.ClusterArn ?? name }, ct).ConfigureAwait(false);
            pass.Remove(ClusterConditions.DeletionBlocked);
            if (deleted.Cluster is { Status: Ecs.ClusterStatus.Inactive } or null)
            {
                await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Deleted, $"Deleted ECS cluster {name}", ct).ConfigureAwait(false);
                await FinishDeletionAsync(pass, $"ECS cluster {name} is deleted", Ecs.ClusterStatus.Inactive, ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
            ClusterStatusMapper.Apply(pass.Status, deleted.Cluster, pass.Now, observedState: false);
            pass.Status.LastSyncTime = pass.Now;
            pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"ECS cluster {name} is being deleted");
            pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Deleting, $"waiting for ECS to finish deleting ECS cluster {name} ({deleted.Cluster.Status})");
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            return ReconcileResult.After(options.TransitionRequeue);
        }
        catch (ClusterNotFoundException)
        {
            await FinishDeletionAsync(pass, $"ECS cluster {name} is gone", Ecs.ClusterStatus.Inactive, ct).ConfigureAwait(false);
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
            var message = await DeletionBlockers.MessageAsync(ecs, observed, e, options.BlockedRequeue, logger, ct).ConfigureAwait(false);
            pass.BlockDeletion(reason, message);
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
            // One Event per blocking reason, its count and message following the blockers.
            await events.RecordAsync(obj, EventSeverity.Warning, ClusterConditions.EventReasons.DeletionBlocked, message, ct,
                series: reason).ConfigureAwait(false);
            return ReconcileResult.After(options.BlockedRequeue);
        }
    }

    /// <summary>
    /// Ends our part of the deletion: removes our finalizer. When another finalizer still holds the object, its status
    /// first says it is going (Ready and Synced False with <c>Deleting</c>, <paramref name="ecsStatus"/> when ECS's
    /// cluster is gone, and the generation the API server set with deletionTimestamp), so the object never shows Ready
    /// and ACTIVE for a cluster that is gone. Without another finalizer the object goes at once: no status write.
    /// </summary>
    private async Task FinishDeletionAsync(Pass pass, string message, string? ecsStatus, CancellationToken ct)
    {
        if (pass.Obj.Metadata.Finalizers?.Any(f => f != ApiGroup.Finalizer) == true)
        {
            pass.Remove(ClusterConditions.DeletionBlocked);
            pass.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"{message}; the object waits for its other finalizers");
            pass.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Deleting, message);
            if (ecsStatus is not null)
            {
                pass.Status.Status = ecsStatus;
            }
            await WriteStatusAsync(pass, ct).ConfigureAwait(false);
        }
        await patcher.RemoveFinalizerAsync(pass.Obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes this object's ownership tag from the cluster it retains, so another object can adopt it. True when the
    /// cluster is released or gone; false when it could not be reached (the retained cluster then stays adoptable,
    /// as its owner no longer exists). Never removes another object's tag.
    /// </summary>
    private async Task<bool> ReleaseAsync(ECSCluster obj, ProviderResolution resolution, CancellationToken ct)
    {
        var name = obj.Spec.ClusterName;
        try
        {
            var ecs = await ClientAsync(resolution.Provider!, resolution.AccountId!, ct, forDeletion: true).ConfigureAwait(false);
            var observed = await DescribeAsync(ecs, name, ct).ConfigureAwait(false);
            if (observed is null || Ownership.OwnerOf(observed) != Ownership.Owner(obj))
            {
                return true;
            }
            await ecs.UntagResourceAsync(new Ecs.UntagResourceRequest { ResourceArn = observed.ClusterArn!, TagKeys = [Ownership.TagKey] }, ct)
                .ConfigureAwait(false);
            await events.RecordAsync(obj, EventSeverity.Normal, ClusterConditions.EventReasons.Released,
                $"Released ECS cluster {name}: its ownership tag is removed, so another ECSCluster can adopt it with spec.adoptExisting: true", ct)
                .ConfigureAwait(false);
            logger.LogInformation("Released ECS cluster {ClusterName}", name);
            return true;
        }
        catch (Exception e) when (e is EcsException or HttpRequestException or ProviderCredentialsException)
        {
            logger.LogWarning("Could not release ECS cluster {ClusterName}: {Error}", name, e.Message);
            return false;
        }
    }

    /// <param name="forDeletion">Deleting or releasing: a Secret that is gone falls back to the last working credentials.</param>
    private async Task<IEcsClient> ClientAsync(AWSProvider provider, string accountId, CancellationToken ct, bool forDeletion = false)
    {
        var session = forDeletion
            ? await credentials.GetForDeletionAsync(provider, ct).ConfigureAwait(false)
            : await credentials.GetAsync(provider, ct).ConfigureAwait(false);
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

    /// <summary>The only status write: <c>status.ready</c> is true exactly when the Ready condition is True, and the
    /// status states the generation it reflects. So a hand-edited <c>ready</c> is corrected by the next write.</summary>
    private Task WriteStatusAsync(Pass pass, CancellationToken ct)
    {
        pass.Status.Conditions = pass.Conditions;
        pass.Status.Ready = ClusterStatusRule.IsReady(pass.Conditions);
        pass.Status.Phase = ClusterStatusRule.Phase(pass.Obj.Metadata.DeletionTimestamp is not null, pass.Status);
        pass.Status.ObservedGeneration = pass.Obj.Metadata.Generation;
        return patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(pass.Obj, pass.Status, ct);
    }

    /// <summary>One reconcile's working copy of the status, so the cached object is never mutated.</summary>
    private sealed class Pass(ECSCluster obj, DateTime now)
    {
        public ECSCluster Obj { get; } = obj;
        public DateTime Now { get; } = now;

        /// <summary>The queue priority of the work this pass does (a parked key is woken with it).</summary>
        public int Priority { get; init; }

        /// <summary>This pass created or changed the ECS cluster (lastSyncTime moves).</summary>
        public bool Changed { get; set; }
        public ECSClusterStatus Status { get; } = (obj.Status ?? new ECSClusterStatus()) with { };
        public List<V1Condition> Conditions { get; } = Operator.Core.Status.Conditions.Copy(obj.Status?.Conditions);

        public void Set(string type, bool? status, string reason, string message) =>
            Operator.Core.Status.Conditions.Set(Conditions, type, status, reason, message, Obj.Metadata.Generation, Now);

        public void Remove(string type) => Operator.Core.Status.Conditions.Remove(Conditions, type);

        /// <summary>
        /// Deletion cannot go on: DeletionBlocked, and Synced (what kubectl -o wide shows as REASON and MESSAGE) carry
        /// the reason and the message; Ready is False with <c>Deleting</c>.
        /// </summary>
        public void BlockDeletion(string reason, string message)
        {
            Set(ClusterConditions.DeletionBlocked, true, reason, message);
            Set(ClusterConditions.Synced, false, reason, message);
            Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting, $"ECS cluster {Obj.Spec.ClusterName} is being deleted; see the DeletionBlocked condition");
        }

        public V1Condition? Find(string type) => Operator.Core.Status.Conditions.Find(Conditions, type);
    }
}
