using Ecs = Operator.Core.Aws.Ecs.Model;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws;
using Operator.Core.Bulkheads;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Providers;
using Operator.Core.Status;

namespace Operator.Core.Clusters;

/// <summary>
/// Carries out the ECSCluster reconciler's plans (<see cref="ClusterPlan"/>): the only code of that reconciler that
/// writes status, Events, finalizers or annotations, or calls AWS, and the keeper of its provider slots. Each pass gets
/// a <see cref="Run"/> (<see cref="Start"/>), which holds what the pass holds (the provider's slot, the name's lock, the
/// ECS client) until it is disposed; the caller must dispose it on every path. Writes go through
/// <see cref="ObjectPatcher"/> against the object the pass observed, Events through <see cref="IEventRecorder"/>.
/// Slots: a key whose provider has no free slot is parked (<see cref="ProviderWaitList"/>) with its priority and woken
/// when one frees, before any pass (<see cref="Admit"/>) or when a pass finds the slots taken (<see cref="EnterSlot"/>);
/// the caller must call <see cref="Settled"/> at the end of every pass. Thread-safe; a run serves one pass at a time.
/// It logs under <see cref="ClusterReconciler"/>'s category, as the reconciler did before it was split: log filters and
/// queries keyed to the reconciler keep matching.
/// </summary>
internal sealed class ClusterExecutor(
    ObjectStore<ECSCluster> clusters,
    IAwsCredentialsCache credentials,
    EcsClientCache ecsClients,
    ObjectPatcher patcher,
    IEventRecorder events,
    OwnershipGate gate,
    ProviderBulkhead bulkhead,
    IClusterLookup lookup,
    ProviderWaitList waiting,
    ApiServerHiccups hiccups,
    ILogger<ClusterReconciler> logger)
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

    /// <summary>End of a pass of <paramref name="key"/>: a wake-up it did not use goes to the next parked key.</summary>
    public void Settled(string key) => waiting.Settled(key);

    /// <summary>A run for one pass of <paramref name="obj"/>, whose work has queue priority <paramref name="priority"/>.</summary>
    public Run Start(ECSCluster obj, int priority) => new(this, obj, priority);

    /// <summary>The cluster as ECS reports it, or null when it does not exist (MISSING, or INACTIVE: deleted).</summary>
    internal static async Task<Ecs.Cluster?> DescribeAsync(IEcsClient ecs, string name, CancellationToken ct)
    {
        var response = await ecs.DescribeClustersAsync(new Ecs.DescribeClustersRequest { Clusters = [name], Include = Ecs.ClusterField.All }, ct)
            .ConfigureAwait(false);
        var cluster = response.Clusters?.FirstOrDefault(c => c.ClusterName == name || c.ClusterArn == name);
        return cluster is null || cluster.Status == Ecs.ClusterStatus.Inactive ? null : cluster;
    }

    /// <summary>One pass's execution, holding what the pass holds: see <see cref="ClusterExecutor"/>.</summary>
    internal sealed class Run(ClusterExecutor executor, ECSCluster obj, int priority) : IDisposable
    {
        public ECSCluster Obj { get; } = obj;
        public int Priority { get; } = priority;
        public List<IDisposable> Held { get; } = [];
        public (EcsTarget Target, IEcsClient Client)? Client { get; set; }

        /// <summary>
        /// Carries out <paramref name="plan"/>'s effects in order, then its step; returns <paramref name="observation"/>
        /// with the step's answer. Throws what an effect or a step threw, except the answers a step defines.
        /// </summary>
        public async Task<ClusterObservation> CarryOutAsync(ClusterPlan plan, ClusterObservation observation, CancellationToken ct)
        {
            foreach (var effect in plan.Effects)
            {
                await executor.ApplyAsync(effect, Obj, ct).ConfigureAwait(false);
            }
            return plan.Next is { } step ? await executor.AnswerAsync(this, step, observation, ct).ConfigureAwait(false) : observation;
        }

        public void Dispose()
        {
            for (var i = Held.Count - 1; i >= 0; i--)
            {
                Held[i].Dispose();
            }
            Held.Clear();
        }
    }

    private async Task<ClusterObservation> AnswerAsync(Run run, ClusterStep step, ClusterObservation o, CancellationToken ct) => step switch
    {
        EnterSlot enter => o with { Entered = await EnterAsync(run, enter, ct).ConfigureAwait(false) },
        LookUp look => o with { Found = new Seen(await LookUpAsync(await ClientAsync(run, look.Target, ct).ConfigureAwait(false), run.Obj, look, ct).ConfigureAwait(false)) },
        CreateCluster create => o with { Created = new Seen(await CreateAsync(await ClientAsync(run, create.Target, ct).ConfigureAwait(false), create, ct).ConfigureAwait(false)) },
        DescribeCreated again => o with { Reread = new Seen(await DescribeAsync(await ClientAsync(run, again.Target, ct).ConfigureAwait(false), again.Name, ct).ConfigureAwait(false)) },
        AskOwnerGone ask => o with { OwnerGone = await gate.OwnerIsGoneAsync(ask.Owner, ct).ConfigureAwait(false) },
        ApplyDiff apply => o with { Applied = await ApplyDiffAsync(await ClientAsync(run, apply.Target, ct).ConfigureAwait(false), apply, ct).ConfigureAwait(false) },
        DescribeUpdated again => o with { Refreshed = new Seen(await DescribeAsync(await ClientAsync(run, again.Target, ct).ConfigureAwait(false), again.Name, ct).ConfigureAwait(false)) },
        DescribeRetained retained => o with { Retained = await ReachAsync(run, retained.Target, ecs => DescribeAsync(ecs, retained.Name, ct), ct).ConfigureAwait(false) },
        ReleaseTag release => o with { Untagged = await ReachAsync(run, release.Target, ecs => UntagAsync(ecs, release.Arn, ct), ct).ConfigureAwait(false) },
        DeleteCluster delete => o with { Deleted = await DeleteAsync(await ClientAsync(run, delete.Target, ct).ConfigureAwait(false), delete.Cluster, ct).ConfigureAwait(false) },
        ListBlockers list => o with { Blockers = await DeletionBlockers.ListAsync(await ClientAsync(run, list.Target, ct).ConfigureAwait(false), list.Cluster, list.Refusal, logger, ct).ConfigureAwait(false) },
        AssessFailure assess => o with { Reportable = hiccups.ShouldReport(ObjectKey.Of(run.Obj), assess.Failure) },
        _ => throw new InvalidOperationException($"no executor for step {step.GetType().Name}"),
    };

    private async Task<SlotAnswer> EnterAsync(Run run, EnterSlot enter, CancellationToken ct)
    {
        var key = ObjectKey.Of(run.Obj);
        var slot = bulkhead.TryEnter(enter.ProviderKey);
        if (slot is null)
        {
            logger.LogDebug("Provider {Provider} already has {Capacity} reconciles in flight; parked until one ends", enter.ProviderKey, bulkhead.Capacity);
            // Woken when a slot of the provider is free (ProviderWaitList); on a timer only where that is not wired.
            return new SlotAnswer(false, waiting.Park(enter.ProviderKey, key, run.Priority));
        }
        run.Held.Add(slot);
        waiting.Entered(key);
        if (enter.Name is { } name)
        {
            run.Held.Add(await gate.LockAsync(name.AccountId, name.Region, name.Name, ct).ConfigureAwait(false));
        }
        return new SlotAnswer(true, false);
    }

    /// <summary>The ECS client of <paramref name="target"/>, made once per pass.</summary>
    private async Task<IEcsClient> ClientAsync(Run run, EcsTarget target, CancellationToken ct)
    {
        if (run.Client is { } made && made.Target == target)
        {
            return made.Client;
        }
        var session = target.ForDeletion
            ? await credentials.GetForDeletionAsync(target.Provider, ct).ConfigureAwait(false)
            : await credentials.GetAsync(target.Provider, ct).ConfigureAwait(false);
        var client = ecsClients.Get(ObjectKey.Of(target.Provider), session, target.AccountId);
        run.Client = (target, client);
        return client;
    }

    /// <summary>A best-effort call: a failure of ECS, of the connection or of the credentials is its answer.</summary>
    private async Task<Reach> ReachAsync(Run run, EcsTarget target, Func<IEcsClient, Task<Ecs.Cluster?>> call, CancellationToken ct)
    {
        try
        {
            return new Reach(await call(await ClientAsync(run, target, ct).ConfigureAwait(false)).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is EcsException or HttpRequestException or ProviderCredentialsException)
        {
            return new Reach(null, Text.ExceptionText.SafeMessage(e.Message));
        }
    }

    private static async Task<Ecs.Cluster?> CreateAsync(IEcsClient ecs, CreateCluster create, CancellationToken ct) =>
        (await ecs.CreateClusterAsync(create.Request, ct).ConfigureAwait(false)).Cluster;

    private static async Task<Ecs.Cluster?> UntagAsync(IEcsClient ecs, string arn, CancellationToken ct)
    {
        await ecs.UntagResourceAsync(new Ecs.UntagResourceRequest { ResourceArn = arn, TagKeys = [Ownership.TagKey] }, ct).ConfigureAwait(false);
        return null;
    }

    private static async Task<bool> ApplyDiffAsync(IEcsClient ecs, ApplyDiff apply, CancellationToken ct)
    {
        var diff = apply.Diff;
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
            await ecs.UntagResourceAsync(new Ecs.UntagResourceRequest { ResourceArn = apply.Arn, TagKeys = diff.TagKeysToRemove }, ct).ConfigureAwait(false);
        }
        if (diff.TagsToSet.Count > 0)
        {
            await ecs.TagResourceAsync(new Ecs.TagResourceRequest { ResourceArn = apply.Arn, Tags = diff.TagsToSet }, ct).ConfigureAwait(false);
        }
        return true;
    }

    private static async Task<DeleteAnswer> DeleteAsync(IEcsClient ecs, string cluster, CancellationToken ct)
    {
        try
        {
            var deleted = await ecs.DeleteClusterAsync(new Ecs.DeleteClusterRequest { Cluster = cluster }, ct).ConfigureAwait(false);
            return new DeleteAnswer(deleted.Cluster, null);
        }
        catch (EcsException e) when (e is ClusterNotFoundException or ClusterContainsServicesException or ClusterContainsTasksException
            or ClusterContainsContainerInstancesException)
        {
            return new DeleteAnswer(null, e);
        }
    }

    private async Task<Ecs.Cluster?> LookUpAsync(IEcsClient ecs, ECSCluster obj, LookUp look, CancellationToken ct) =>
        look.Target.ForDeletion
            // Batched with the checks of the provider's other deletions (ClusterLookup's deletion read-ahead).
            ? await lookup.FindForDeletionAsync(ecs, look.Name, ClusterLookup.DeletionsOf(clusters, obj), ct).ConfigureAwait(false)
            // Batched with the lookups of other new objects of this provider (ClusterLookup).
            : await lookup.FindAsync(ecs, look.Name, ClusterLookup.NewObjectsOf(clusters, obj), ct).ConfigureAwait(false);

    private async Task ApplyAsync(ClusterEffect effect, ECSCluster obj, CancellationToken ct)
    {
        switch (effect)
        {
            case WriteStatus write:
                await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(obj, write.Status, ct).ConfigureAwait(false);
                break;
            case RecordEvent e:
                await events.RecordAsync(obj, e.Severity, e.Reason, e.Message, ct, e.Series).ConfigureAwait(false);
                break;
            case AddFinalizer:
                if (await patcher.AddFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false))
                {
                    logger.LogDebug("Added finalizer {Finalizer}", ApiGroup.Finalizer);
                }
                break;
            case RemoveFinalizer:
                await patcher.RemoveFinalizerAsync(obj, ApiGroup.Finalizer, ct).ConfigureAwait(false);
                break;
            case RecordOwnership record:
                if (await patcher.SetAnnotationAsync(obj, Ownership.CreatedArnAnnotation, record.Arn, ct).ConfigureAwait(false))
                {
                    logger.LogDebug("Recorded ECS cluster {ClusterArn} as this object's own", record.Arn);
                }
                break;
            case LogLine line:
#pragma warning disable CA2254 // the template is the decision's, a constant there
                logger.Log(line.Level, line.Template, line.Args);
#pragma warning restore CA2254
                break;
            default:
                throw new InvalidOperationException($"no executor for effect {effect.GetType().Name}");
        }
    }
}
