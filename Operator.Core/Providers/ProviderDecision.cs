using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// Every decision of the AWSProvider reconciler, as a pure function of a <see cref="ProviderObservation"/>: no I/O, no
/// clock but the observation's, no state. A pass: in-use protection (<see cref="ProviderProtection"/>: the finalizer
/// added while ECSClusters use the provider, removed when none does, then a deleted provider goes) → a slot of its
/// namespace and STS endpoint (<see cref="ProviderCheckSlots"/>; parked when full) → credentials rebuilt when the
/// generation changed → the check (session, STS GetCallerIdentity) → status with Ready, DeletionBlocked and the phase.
/// Every failure sets <c>Ready=False</c> with a reason and a sanitised message, and is re-checked as
/// <see cref="ProviderReconcilerOptions"/> says (a failing endpoint on a short back-off; a refusal by the admin's policy
/// or an invalid spec only when something changes). A failure is logged as a Warning, and a policy refusal or invalid
/// spec recorded as a Warning Event, once per change of the Ready condition (reason, message or generation): repeats
/// are logged at Debug. Other failures record their Event each time (the recorder folds repeats and budgets them).
/// Kubernetes errors and bugs are rethrown after the status write for the queue's per-item back-off.
/// As <see cref="Clusters.ClusterDecision"/>, a decision replays the pass over the answers so far: a plan holds the
/// effects after the last known answer, up to the next question or the end.
/// </summary>
internal static class ProviderDecision
{
    /// <summary>How long after the provider's creation a missing Secret is reported without a Warning Event (<see cref="DependencyGrace"/>).</summary>
    public static readonly TimeSpan SecretGrace = DependencyGrace.Default;

    public static ProviderPlan Decide(ProviderObservation o, ProviderReconcilerOptions options)
    {
        var effects = new List<ProviderEffect>();
        if (o.Obj is not { } obj)
        {
            return new([new ForgetProvider()], null, ReconcileResult.Done, null);
        }
        var deleting = obj.Metadata.DeletionTimestamp is not null;
        string? inUse = null;
        if (o.Users.Count > 0 && !deleting)
        {
            effects.Add(new AddInUseFinalizer());
        }
        else if (o.Users.Count > 0 && obj.Metadata.Finalizers?.Contains(ProviderProtection.Finalizer) == true)
        {
            inUse = ProviderProtection.InUseMessage(obj, o.Users);
            // One Event while clusters hold it, its count and message following the users (not one per change of the count).
            effects.Add(new RecordProviderEvent(EventSeverity.Warning, ProviderConditions.DeletionBlocked, inUse, ProviderConditions.Reasons.InUse));
        }
        else if (o.Users.Count == 0)
        {
            if (o.FinalizerRemoved is not { } removed)
            {
                return new(effects, new RemoveInUseFinalizer(), ReconcileResult.Done, null);
            }
            effects.Clear(); // carried out before the answer
            if (removed && deleting)
            {
                // The last user is gone and the provider disappears now; its final DELETE event queues no pass
                // (Controller.OnDelete), so what is kept for it is dropped here.
                return new([new ForgetProvider()], null, ReconcileResult.Done, null);
            }
        }
        if (o.Entered is not { } entered)
        {
            return new(effects, new EnterChecks(), ReconcileResult.Done, null);
        }
        if (!entered.Entered)
        {
            return new([], null, entered.Parked ? ReconcileResult.Done : ReconcileResult.After(options.BusyRequeue), null);
        }
        if (o.Check is not { } check)
        {
            return new(obj.Status?.ObservedGeneration != obj.Metadata.Generation ? [new InvalidateCredentials()] : [], new Authenticate(),
                ReconcileResult.Done, null);
        }
        return Report(o, obj, check, inUse, options);
    }

    /// <summary>The check's outcome in status: Ready and its reason, the identity, DeletionBlocked, the phase; when to check again.</summary>
    private static ProviderPlan Report(ProviderObservation o, AWSProvider obj, ProviderCheck check, string? inUse, ProviderReconcilerOptions options)
    {
        var effects = new List<ProviderEffect>();
        var status = (obj.Status ?? new AWSProviderStatus()) with { };
        var conditions = Conditions.Copy(obj.Status?.Conditions);
        var (result, rethrow) = (ReconcileResult.Done, (Exception?)null);
        var recheck = ReconcileResult.After(options.Recheck(o.EndpointFailures + 1));
        if (check is { Error: { } hiccup, Reportable: false })
        {
            // The API server restarting or overloaded (a Secret read): retried with back-off, shown only if it lasts.
            return new([], null, ReconcileResult.Done, hiccup);
        }
        switch (check.Error)
        {
            case null:
                Authenticated(o, obj, check.Identity!, status, conditions, effects);
                break;
            case ProviderCredentialsException e:
                effects.Add(new InvalidateCredentials());
                status.Ready = false;
                Conditions.Set(conditions, ProviderConditions.Ready, false, e.Reason, e.Message, obj.Metadata.Generation, o.Now);
                result = CredentialsFailed(o, obj, e, recheck, effects, options);
                break;
            case var e:
                var failure = ReconcileFailure.Of(e);
                status.Ready = false;
                Conditions.Set(conditions, ProviderConditions.Ready, false, failure.Reason, failure.Message, obj.Metadata.Generation, o.Now);
                effects.Add(new RecordProviderEvent(EventSeverity.Warning, failure.Reason, failure.Message));
                if (failure.Reason is ReconcileFailure.AwsError or ReconcileFailure.Timeout or ReconcileFailure.EndpointUnreachable)
                {
                    // The endpoint is failing (5xx, throttling, an answer with no known meaning): checked again soon.
                    effects.Add(Log(IsRepeat(obj, failure.Reason, failure.Message), failure.Reason, failure.Message));
                    effects.Add(new CountRecheck());
                    result = recheck;
                }
                else
                {
                    rethrow = failure.ToException(e);
                }
                break;
        }
        if (inUse is not null)
        {
            Conditions.Set(conditions, ProviderConditions.DeletionBlocked, true, ProviderConditions.Reasons.InUse, inUse, obj.Metadata.Generation, o.Now);
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
        effects.Add(new WriteProviderStatus(status));
        return new(effects, null, result, rethrow);
    }

    /// <summary>STS confirmed the identity: Ready, the account and the identity in status, announced when it was not ready.</summary>
    private static void Authenticated(
        ProviderObservation o, AWSProvider obj, CallerIdentity caller, AWSProviderStatus status, List<k8s.Models.V1Condition> conditions, List<ProviderEffect> effects)
    {
        effects.Add(new ResetRechecks());
        status.Ready = true;
        status.AccountID = caller.Account;
        status.CallerIdentity = caller.Arn;
        status.LastAuthenticationTime = o.Now;
        Conditions.Set(conditions, ProviderConditions.Ready, true, ProviderConditions.Reasons.Authenticated,
            $"authenticated as {caller.Arn} in account {caller.Account}", obj.Metadata.Generation, o.Now);
        if (obj.Status?.Ready != true)
        {
            effects.Add(new RecordProviderEvent(EventSeverity.Normal, ProviderConditions.Reasons.Authenticated, $"Authenticated as {caller.Arn}"));
        }
    }

    /// <summary>
    /// A failure of the provider's own making (a Secret, a key, a role, the admin's policy): a Secret still missing just
    /// after creation is waited for quietly; a refusal is not re-checked on a timer and warned about once; a failing
    /// endpoint is re-checked on the back-off; anything else after <see cref="ProviderReconcilerOptions.FailureRequeue"/>.
    /// </summary>
    private static ReconcileResult CredentialsFailed(
        ProviderObservation o, AWSProvider obj, ProviderCredentialsException e, ReconcileResult recheck, List<ProviderEffect> effects,
        ProviderReconcilerOptions options)
    {
        if (e.Reason is ProviderCredentialsReasons.SecretNotFound or ProviderCredentialsReasons.SecretKeyNotFound
            && DependencyGrace.Remaining(obj.Metadata, o.Now, SecretGrace) is { } grace)
        {
            // Most likely applied together with this provider (kubectl applies secret-*.yaml after awsprovider-*.yaml):
            // the Secret's watch wakes it, the timer warns if the Secret is still missing then.
            effects.Add(new ProviderLog(LogLevel.Information, "AWSProvider waiting for its Secret: {Reason}: {Message}", e.Reason, e.Message));
            return ReconcileResult.After(grace < options.FailureRequeue ? grace : options.FailureRequeue);
        }
        var repeated = IsRepeat(obj, e.Reason, e.Message);
        var refusal = IsRefusal(e.Reason);
        if (!(refusal && repeated))
        {
            effects.Add(new RecordProviderEvent(EventSeverity.Warning, e.Reason, e.Message));
        }
        effects.Add(Log(repeated, e.Reason, e.Message));
        if (refusal)
        {
            return ReconcileResult.Done;
        }
        if (e.Reason != ProviderCredentialsReasons.EndpointUnreachable)
        {
            return ReconcileResult.After(options.FailureRequeue);
        }
        effects.Add(new CountRecheck());
        return recheck;
    }

    /// <summary>Refused by the admin's policy or by the spec rules: nothing but a change can help, so no timer.</summary>
    private static bool IsRefusal(string reason) => reason is ProviderCredentialsReasons.EndpointNotAllowed
        or ProviderCredentialsReasons.RoleNotAllowed or ProviderCredentialsReasons.DefaultCredentialsNotAllowed
        or ProviderCredentialsReasons.InvalidSpec;

    /// <summary>The Ready condition already says exactly this failure, for this generation.</summary>
    private static bool IsRepeat(AWSProvider obj, string reason, string message) =>
        Conditions.Find(obj.Status?.Conditions, ProviderConditions.Ready) is { Status: Conditions.False } ready
        && ready.Reason == reason && ready.Message == message && ready.ObservedGeneration == obj.Metadata.Generation;

    private static ProviderLog Log(bool repeated, string reason, string message) =>
        new(repeated ? LogLevel.Debug : LogLevel.Warning, "AWSProvider authentication failed: {Reason}: {Message}", reason, message);
}
