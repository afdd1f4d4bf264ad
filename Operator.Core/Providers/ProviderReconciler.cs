using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// Validates an AWSProvider with STS GetCallerIdentity and reports the identity in status. Runs on every spec
/// change, every change of a referenced Secret, every resync (the periodic re-check), and when an ECSCluster starts
/// using a provider without the in-use finalizer or stops using one being deleted (<see cref="ClusterUsageHandler"/>);
/// a status-only change (its own write) does not run it. It does not wake the
/// ECSClusters that use the provider: the cluster controller watches AWSProviders (<see cref="ProviderDependents"/>)
/// and is woken by the informer once the cache holds this reconcile's status write. Credentials are rebuilt
/// whenever the provider's generation changed.
/// Every failure sets <c>Ready=False</c> with a reason and a sanitised message and records a Warning Event:
/// credentials problems (<see cref="ProviderCredentialsException"/>) are re-checked after <see cref="FailureRequeue"/>;
/// anything else (unmapped STS answers, throttling, Kubernetes errors) is rethrown after the status write for
/// per-item back-off.
/// A provider in use by an ECSCluster is protected from deletion by <see cref="ProviderProtection"/>, and keeps being
/// validated while it waits, so the clusters that hold it can still be deleted in ECS. Each successful check records
/// the session as the provider's last working credentials (<see cref="IAwsCredentialsCache.RecordWorking"/>), with which
/// those clusters can still be deleted after the provider's Secret is gone.
/// </summary>
internal sealed class ProviderReconciler(
    ObjectStore<AWSProvider> providers,
    IAwsCredentialsCache credentials,
    IIdentityChecker identity,
    EcsClientCache ecsClients,
    Aws.Http.AwsHttpPools httpPools,
    ObjectPatcher patcher,
    IEventRecorder events,
    ProviderProtection protection,
    TimeProvider time,
    ILogger<ProviderReconciler> logger) : IReconciler
{
    public const string ClustersByProviderIndex = "provider";
    public static readonly TimeSpan FailureRequeue = TimeSpan.FromMinutes(1);

    /// <summary>How long after the provider's creation a missing Secret is reported without a Warning Event (<see cref="DependencyGrace"/>).</summary>
    public static readonly TimeSpan SecretGrace = DependencyGrace.Default;

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var obj = providers.Get(request.Key);
        if (obj is null)
        {
            credentials.Invalidate(request.Key);
            credentials.Forget(request.Key);
            ecsClients.Forget(request.Key);
            httpPools.Forget(request.Key);
            return ReconcileResult.Done;
        }
        var (inUse, released) = await protection.ReconcileAsync(obj, ct).ConfigureAwait(false);
        if (released)
        {
            return ReconcileResult.Done; // the last user is gone: the provider disappears now
        }
        if (obj.Status?.ObservedGeneration != obj.Metadata.Generation)
        {
            credentials.Invalidate(request.Key);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var status = (obj.Status ?? new AWSProviderStatus()) with { };
        var conditions = Conditions.Copy(obj.Status?.Conditions);
        var wasReady = obj.Status?.Ready == true;
        ReconcileResult result = ReconcileResult.Done;
        Exception? rethrow = null;
        try
        {
            var session = await credentials.GetAsync(obj, ct).ConfigureAwait(false);
            var caller = await identity.GetCallerIdentityAsync(session, ct).ConfigureAwait(false);
            credentials.RecordWorking(obj, session, caller.Account);
            status.Ready = true;
            status.AccountID = caller.Account;
            status.CallerIdentity = caller.Arn;
            status.LastAuthenticationTime = now;
            Conditions.Set(conditions, ProviderConditions.Ready, true, ProviderConditions.Reasons.Authenticated,
                $"authenticated as {caller.Arn} in account {caller.Account}", obj.Metadata.Generation, now);
            if (!wasReady)
            {
                await events.RecordAsync(obj, EventSeverity.Normal, ProviderConditions.Reasons.Authenticated,
                    $"Authenticated as {caller.Arn}", ct).ConfigureAwait(false);
            }
            result = ReconcileResult.Done;
        }
        catch (ProviderCredentialsException e)
        {
            credentials.Invalidate(request.Key);
            status.Ready = false;
            Conditions.Set(conditions, ProviderConditions.Ready, false, e.Reason, e.Message, obj.Metadata.Generation, now);
            if (e.Reason is ProviderCredentialsReasons.SecretNotFound or ProviderCredentialsReasons.SecretKeyNotFound
                && DependencyGrace.Remaining(obj.Metadata, now, SecretGrace) is { } grace)
            {
                // Most likely applied together with this provider (kubectl applies secret-*.yaml after awsprovider-*.yaml):
                // the Secret's watch wakes it, the timer warns if the Secret is still missing then.
                logger.LogInformation("AWSProvider waiting for its Secret: {Reason}: {Message}", e.Reason, e.Message);
                result = ReconcileResult.After(grace < FailureRequeue ? grace : FailureRequeue);
            }
            else
            {
                await events.RecordAsync(obj, EventSeverity.Warning, e.Reason, e.Message, ct).ConfigureAwait(false);
                logger.LogWarning("AWSProvider authentication failed: {Reason}: {Message}", e.Reason, e.Message);
                result = ReconcileResult.After(FailureRequeue);
            }
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            var failure = ReconcileFailure.Of(e);
            status.Ready = false;
            Conditions.Set(conditions, ProviderConditions.Ready, false, failure.Reason, failure.Message, obj.Metadata.Generation, now);
            await events.RecordAsync(obj, EventSeverity.Warning, failure.Reason, failure.Message, ct).ConfigureAwait(false);
            rethrow = failure.ToException(e);
        }
        if (inUse is not null)
        {
            Conditions.Set(conditions, ProviderConditions.DeletionBlocked, true, ProviderConditions.Reasons.InUse, inUse, obj.Metadata.Generation, now);
        }
        else
        {
            Conditions.Remove(conditions, ProviderConditions.DeletionBlocked);
        }
        status.ObservedGeneration = obj.Metadata.Generation;
        status.Conditions = conditions;
        await patcher.PatchStatusIfChangedAsync<AWSProvider, AWSProviderStatus>(obj, status, ct).ConfigureAwait(false);
        if (rethrow is not null)
        {
            throw rethrow;
        }
        return result;
    }
}
