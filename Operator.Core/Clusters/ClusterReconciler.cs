using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Controllers;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Providers;

namespace Operator.Core.Clusters;

/// <summary>
/// Makes an ECS cluster match its ECSCluster, reports it in status, and deletes or retains it on deletion, as
/// Observe → Decide → Execute: a pass observes the caches (<see cref="Observe"/>: the object, its provider, the clock),
/// asks the pure <see cref="ClusterDecision.Decide"/> for a plan, has <see cref="ClusterExecutor"/> carry it out, and
/// decides again with each step's answer until a plan ends the pass with its result (or rethrows the failure it
/// reported, for the queue's per-item back-off). The decision is all the reconciler's behaviour; the executor is the
/// only writer. A failure of a plan that reports a failure ends the pass as it is, as does the pass's own cancellation
/// and a write that finds the object deleted (<see cref="ApiErrors.IsGone"/>: nothing to report it on).
/// The AWS work of a pass runs inside a <see cref="ProviderBulkhead"/> slot of its provider; the controller asks first
/// (<see cref="Admit"/>): a key whose provider has no free slot is parked before any pass, so waiting for a slot costs
/// no reconcile; a pass that still finds the slots taken (another worker was quicker) parks the same way.
/// </summary>
internal sealed class ClusterReconciler(
    ObjectStore<ECSCluster> clusters,
    ProviderResolver providers,
    IAwsCredentialsCache credentials,
    ClusterExecutor executor,
    ClusterReconcilerOptions options,
    TimeProvider time) : IReconciler, IReconcileAdmission
{
    private static readonly ResourceType ClusterResource = ResourceType.Of<ECSCluster>();

    /// <inheritdoc cref="ClusterExecutor.Admit"/>
    public bool Admit(ReconcileRequest request) => executor.Admit(request);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        try
        {
            if (Observe(request.Key) is not { } observation)
            {
                return ReconcileResult.Done;
            }
            using var run = executor.Start(observation.Obj, request.Priority);
            while (true)
            {
                ClusterPlan plan;
                try
                {
                    plan = ClusterDecision.Decide(observation, options);
                }
                catch (Exception bug)
                {
                    plan = ClusterDecision.DecisionFailed(observation, options, bug);
                }
                try
                {
                    observation = await run.CarryOutAsync(plan, observation, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!plan.HandlesFailure && !(e is OperationCanceledException && ct.IsCancellationRequested)
                    && !ApiErrors.IsGone(e, ClusterResource, observation.Obj.Metadata.Name))
                {
                    observation = observation with { Failure = e };
                    continue;
                }
                if (plan.IsLast)
                {
                    if (plan.Rethrow is { } failure)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                    }
                    return plan.Result;
                }
            }
        }
        finally
        {
            executor.Settled(request.Key);
        }
    }

    /// <summary>What the pass starts from: the cached object (null when it is gone), its provider, the clock.</summary>
    private ClusterObservation? Observe(string key)
    {
        if (clusters.Get(key) is not { } obj)
        {
            return null;
        }
        var resolution = providers.Resolve(obj);
        return new ClusterObservation
        {
            Obj = obj,
            // A provider whose Secret was deleted can still delete (or release) with its last working credentials.
            Resolution = obj.Metadata.DeletionTimestamp is null ? resolution : SecretlessDeletion.Resolve(resolution, credentials),
            Now = time.GetUtcNow().UtcDateTime,
        };
    }
}
