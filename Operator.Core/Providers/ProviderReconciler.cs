using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Controllers;
using Operator.Core.Informers;

namespace Operator.Core.Providers;

/// <summary>
/// Validates an AWSProvider with STS GetCallerIdentity and reports the identity in status, as Observe → Decide →
/// Execute: a pass observes the caches (the provider, the ECSClusters that use it, the clock, its endpoint's failure
/// count), asks the pure <see cref="ProviderDecision.Decide"/> for a plan, has <see cref="ProviderExecutor"/> carry it
/// out, and decides again with each step's answer until a plan ends the pass (<see cref="ProviderDecision"/> states the
/// behaviour). Runs on every spec change, every change of a referenced Secret, every resync (the periodic re-check),
/// and when an ECSCluster starts using a provider without the in-use finalizer or stops using one being deleted
/// (<see cref="ClusterUsageHandler"/>); a status-only change (its own write) does not run it. It does not wake the
/// ECSClusters that use the provider: the cluster controller watches AWSProviders (<see cref="ProviderDependents"/>)
/// and is woken by the informer once the cache holds this reconcile's status write.
/// The check runs holding a slot of the provider's namespace and of its STS endpoint (<see cref="ProviderCheckSlots"/>):
/// a provider whose scope is full is parked before the pass (<see cref="Admit"/>) or in it, not checked, so hung
/// endpoints hold at most their share of the workers. A provider in use by an ECSCluster is protected from deletion
/// (<see cref="ProviderProtection"/>), and keeps being validated while it waits, so the clusters that hold it can still
/// be deleted in ECS. Each successful check records the session as the provider's last working credentials
/// (<see cref="IAwsCredentialsCache.RecordWorking"/>), with which those clusters can still be deleted after the
/// provider's Secret is gone.
/// </summary>
internal sealed class ProviderReconciler(
    ObjectStore<AWSProvider> providers,
    Informer<ECSCluster> clusters,
    ProviderExecutor executor,
    ProviderCheckSlots slots,
    ProviderReconcilerOptions options,
    TimeProvider time) : IReconciler, IReconcileAdmission
{
    public const string ClustersByProviderIndex = "provider";

    /// <summary>Defers a provider whose namespace or STS endpoint has no free check slot (<see cref="ProviderCheckSlots"/>).</summary>
    public bool Admit(ReconcileRequest request) => providers.Get(request.Key) is not { } obj || slots.Admit(obj, request);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        try
        {
            var observation = Observe(request.Key);
            using var run = executor.Start(request.Key, request.Priority);
            while (true)
            {
                var plan = ProviderDecision.Decide(observation, options);
                observation = await run.CarryOutAsync(plan, observation, ct).ConfigureAwait(false);
                if (plan.Next is null)
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

    private ProviderObservation Observe(string key)
    {
        var obj = providers.Get(key);
        return new ProviderObservation
        {
            Key = key,
            Obj = obj,
            Users = obj is null ? [] : ProviderProtection.Users(clusters.Store, obj),
            Now = time.GetUtcNow().UtcDateTime,
            EndpointFailures = executor.EndpointFailures(key),
        };
    }
}
