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
/// The check runs holding a slot of the provider's namespace and of its STS endpoint (<see cref="ProviderCheckSlots"/>):
/// a provider whose scope is full is parked, not checked, so hung endpoints hold at most their share of the workers.
/// Every failure sets <c>Ready=False</c> with a reason and a sanitised message, and is re-checked as
/// <see cref="ProviderReconcilerOptions"/> says (a failing endpoint on a short back-off; a refusal by the admin's policy
/// or an invalid spec only when something changes). A failure is logged as a Warning, and a policy refusal or invalid
/// spec recorded as a Warning Event, once per change of the Ready condition (reason, message or generation): repeats
/// are logged at Debug, so a refused or broken provider cannot multiply the operator's log volume. Other failures
/// record their Event each time (the recorder folds repeats and budgets them). Kubernetes errors and bugs are rethrown
/// after the status write for the queue's per-item back-off.
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
    ProviderCheckSlots slots,
    ProviderReconcilerOptions options,
    Kubernetes.ApiServerHiccups hiccups,
    TimeProvider time,
    ILogger<ProviderReconciler> logger) : IReconciler, IReconcileAdmission
{
    public const string ClustersByProviderIndex = "provider";

    /// <summary>How long after the provider's creation a missing Secret is reported without a Warning Event (<see cref="DependencyGrace"/>).</summary>
    public static readonly TimeSpan SecretGrace = DependencyGrace.Default;

    // Consecutive failed checks of a failing endpoint, per provider key: the back-off's exponent.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _endpointFailures = new(StringComparer.Ordinal);

    /// <summary>Defers a provider whose namespace or STS endpoint has no free check slot (<see cref="ProviderCheckSlots"/>).</summary>
    public bool Admit(ReconcileRequest request) => providers.Get(request.Key) is not { } obj || slots.Admit(obj, request);

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        try
        {
            return await ReconcileObjectAsync(request, ct).ConfigureAwait(false);
        }
        finally
        {
            slots.Settled(request.Key);
        }
    }

    private async Task<ReconcileResult> ReconcileObjectAsync(ReconcileRequest request, CancellationToken ct)
    {
        var obj = providers.Get(request.Key);
        if (obj is null)
        {
            ForgetProvider(request.Key);
            return ReconcileResult.Done;
        }
        var (inUse, released) = await protection.ReconcileAsync(obj, ct).ConfigureAwait(false);
        if (released)
        {
            // The last user is gone and the provider disappears now; its final DELETE event queues no pass
            // (Controller.OnDelete), so what is kept for it is dropped here.
            ForgetProvider(request.Key);
            return ReconcileResult.Done;
        }
        using var slot = slots.TryEnter(obj, request.Priority, out var parked);
        if (slot is null)
        {
            logger.LogDebug("AWSProvider {Provider}: its namespace or STS endpoint already has {Capacity} checks running; parked until one ends",
                request.Key, slots.Capacity);
            return parked ? ReconcileResult.Done : ReconcileResult.After(options.BusyRequeue);
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
            _endpointFailures.TryRemove(request.Key, out _);
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
            var repeated = IsRepeat(obj, e.Reason, e.Message);
            Conditions.Set(conditions, ProviderConditions.Ready, false, e.Reason, e.Message, obj.Metadata.Generation, now);
            if (e.Reason is ProviderCredentialsReasons.SecretNotFound or ProviderCredentialsReasons.SecretKeyNotFound
                && DependencyGrace.Remaining(obj.Metadata, now, SecretGrace) is { } grace)
            {
                // Most likely applied together with this provider (kubectl applies secret-*.yaml after awsprovider-*.yaml):
                // the Secret's watch wakes it, the timer warns if the Secret is still missing then.
                logger.LogInformation("AWSProvider waiting for its Secret: {Reason}: {Message}", e.Reason, e.Message);
                result = ReconcileResult.After(grace < options.FailureRequeue ? grace : options.FailureRequeue);
            }
            else
            {
                var refusal = IsRefusal(e.Reason);
                if (!(refusal && repeated))
                {
                    await events.RecordAsync(obj, EventSeverity.Warning, e.Reason, e.Message, ct).ConfigureAwait(false);
                }
                Log(repeated, e.Reason, e.Message);
                result = refusal ? ReconcileResult.Done
                    : e.Reason == ProviderCredentialsReasons.EndpointUnreachable ? ReconcileResult.After(NextRecheck(request.Key))
                    : ReconcileResult.After(options.FailureRequeue);
            }
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            if (!hiccups.ShouldReport(request.Key, e))
            {
                throw; // the API server restarting or overloaded: retried with back-off, shown only if it lasts
            }
            var failure = ReconcileFailure.Of(e);
            var repeated = IsRepeat(obj, failure.Reason, failure.Message);
            status.Ready = false;
            Conditions.Set(conditions, ProviderConditions.Ready, false, failure.Reason, failure.Message, obj.Metadata.Generation, now);
            await events.RecordAsync(obj, EventSeverity.Warning, failure.Reason, failure.Message, ct).ConfigureAwait(false);
            if (failure.Reason is ReconcileFailure.AwsError or ReconcileFailure.Timeout or ReconcileFailure.EndpointUnreachable)
            {
                // The endpoint is failing (5xx, throttling, an answer with no known meaning): checked again soon.
                Log(repeated, failure.Reason, failure.Message);
                result = ReconcileResult.After(NextRecheck(request.Key));
            }
            else
            {
                rethrow = failure.ToException(e);
            }
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
        status.Phase = obj.Metadata.DeletionTimestamp is null ? ProviderConditions.Phases.Active
            : inUse is not null ? ProviderConditions.Phases.DeletionBlocked
            : ProviderConditions.Phases.Deleting;
        await patcher.PatchStatusIfChangedAsync<AWSProvider, AWSProviderStatus>(obj, status, ct).ConfigureAwait(false);
        if (rethrow is not null)
        {
            throw rethrow;
        }
        return result;
    }

    /// <summary>Refused by the admin's policy or by the spec rules: nothing but a change can help, so no timer.</summary>
    private static bool IsRefusal(string reason) => reason is ProviderCredentialsReasons.EndpointNotAllowed
        or ProviderCredentialsReasons.RoleNotAllowed or ProviderCredentialsReasons.DefaultCredentialsNotAllowed
        or ProviderCredentialsReasons.InvalidSpec;

    /// <summary>The Ready condition already says exactly this failure, for this generation.</summary>
    private static bool IsRepeat(AWSProvider obj, string reason, string message) =>
        Conditions.Find(obj.Status?.Conditions, ProviderConditions.Ready) is { Status: Conditions.False } ready
        && ready.Reason == reason && ready.Message == message && ready.ObservedGeneration == obj.Metadata.Generation;

    private void Log(bool repeated, string reason, string message) =>
        logger.Log(repeated ? LogLevel.Debug : LogLevel.Warning, "AWSProvider authentication failed: {Reason}: {Message}", reason, message);

    private TimeSpan NextRecheck(string key) => options.Recheck(_endpointFailures.AddOrUpdate(key, 1, static (_, n) => n + 1));

    /// <summary>Drops the credentials (last working ones included), ECS clients, HTTP pool and back-off kept for a provider that is gone.</summary>
    private void ForgetProvider(string key)
    {
        credentials.Invalidate(key);
        credentials.Forget(key);
        ecsClients.Forget(key);
        httpPools.Forget(key);
        _endpointFailures.TryRemove(key, out _);
    }
}
