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
/// change, every change of a referenced Secret, and every resync (the periodic re-check). When the provider's
/// readiness or account changes, every ECSCluster that uses it is queued, so clusters waiting on ProviderNotReady
/// move on at once. Credentials are rebuilt whenever the provider's generation changed. Every failure sets
/// <c>Ready=False</c> with a reason and a sanitised message and records a Warning Event: credentials problems
/// (<see cref="ProviderCredentialsException"/>) are re-checked after <see cref="FailureRequeue"/>; anything else
/// (unmapped STS answers, throttling, Kubernetes errors) is rethrown after the status write for per-item back-off.
/// </summary>
internal sealed class ProviderReconciler(
    ObjectStore<AWSProvider> providers,
    ObjectStore<ECSCluster> clusters,
    IAwsCredentialsCache credentials,
    IIdentityChecker identity,
    EcsClientCache ecsClients,
    ObjectPatcher patcher,
    IEventRecorder events,
    Action<string> enqueueCluster,
    TimeProvider time,
    ILogger<ProviderReconciler> logger) : IReconciler
{
    public const string ClustersByProviderIndex = "provider";
    public static readonly TimeSpan FailureRequeue = TimeSpan.FromMinutes(1);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var obj = providers.Get(request.Key);
        if (obj is null)
        {
            credentials.Invalidate(request.Key);
            ecsClients.Forget(request.Key);
            EnqueueDependents(request.Key);
            return ReconcileResult.Done;
        }
        if (obj.Status?.ObservedGeneration != obj.Metadata.Generation)
        {
            credentials.Invalidate(request.Key);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var status = (obj.Status ?? new AWSProviderStatus()) with { };
        var conditions = Conditions.Copy(obj.Status?.Conditions);
        var wasReady = obj.Status?.Ready == true;
        var oldAccount = obj.Status?.AccountID;
        ReconcileResult result = ReconcileResult.Done;
        Exception? rethrow = null;
        try
        {
            var session = await credentials.GetAsync(obj, ct).ConfigureAwait(false);
            var caller = await identity.GetCallerIdentityAsync(session, ct).ConfigureAwait(false);
            status.Ready = true;
            status.AccountID = caller.Account;
            status.CallerIdentity = caller.Arn;
            status.LastAuthenticationTime = now;
            Conditions.Set(conditions, ProviderConditions.Ready, true, ProviderConditions.Authenticated,
                $"authenticated as {caller.Arn} in account {caller.Account}", obj.Metadata.Generation, now);
            if (!wasReady)
            {
                await events.RecordAsync(obj, EventSeverity.Normal, ProviderConditions.Authenticated,
                    $"Authenticated as {caller.Arn}", ct).ConfigureAwait(false);
            }
            result = ReconcileResult.Done;
        }
        catch (ProviderCredentialsException e)
        {
            credentials.Invalidate(request.Key);
            status.Ready = false;
            Conditions.Set(conditions, ProviderConditions.Ready, false, e.Reason, e.Message, obj.Metadata.Generation, now);
            await events.RecordAsync(obj, EventSeverity.Warning, e.Reason, e.Message, ct).ConfigureAwait(false);
            logger.LogWarning("AWSProvider authentication failed: {Reason}: {Message}", e.Reason, e.Message);
            result = ReconcileResult.After(FailureRequeue);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            var failure = ReconcileFailure.Of(e);
            status.Ready = false;
            Conditions.Set(conditions, ProviderConditions.Ready, false, failure.Reason, failure.Message, obj.Metadata.Generation, now);
            await events.RecordAsync(obj, EventSeverity.Warning, failure.Reason, failure.Message, ct).ConfigureAwait(false);
            rethrow = failure.ToException(e);
        }
        status.ObservedGeneration = obj.Metadata.Generation;
        status.Conditions = conditions;
        await patcher.PatchStatusIfChangedAsync<AWSProvider, AWSProviderStatus>(obj, status, ct).ConfigureAwait(false);
        if (wasReady != status.Ready || oldAccount != status.AccountID || obj.Status?.ObservedGeneration != obj.Metadata.Generation)
        {
            EnqueueDependents(request.Key);
        }
        if (rethrow is not null)
        {
            throw rethrow;
        }
        return result;
    }

    private void EnqueueDependents(string providerKey)
    {
        foreach (var cluster in clusters.ByIndex(ClustersByProviderIndex, providerKey))
        {
            enqueueCluster(Kubernetes.ObjectKey.Of(cluster));
        }
    }
}
