using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Providers;
using Operator.Core.Status;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// Every decision of the ECSCluster reconciler, as a pure function of a <see cref="ClusterObservation"/>: no I/O, no
/// clock but the observation's, no state. <see cref="Decide"/> returns the next <see cref="ClusterPlan"/>; the
/// reconciler has it carried out and decides again with the answer, until a plan ends the pass
/// (<see cref="ClusterScript"/> says how the pass is replayed).
/// A live object's pass: spec check (InvalidSpec: no AWS call) → provider (ProviderNotReady: no AWS call) → provider
/// move (ProviderChangeRefused: no AWS call) → the provider's slot and the name's lock → finalizer (always before any
/// create) → DescribeClusters → create → the ownership gate (<see cref="Ownership"/>, also right after CreateCluster,
/// which answers with the existing cluster when the name is taken) → the minimal diff (<see cref="ClusterDiff"/>) →
/// status. Only clusters that pass the gate are ever changed or deleted. Every status write derives
/// <c>status.ready</c> from the Ready condition and sets <c>observedGeneration</c> (<see cref="ClusterScript.WriteStatus"/>).
/// A deleted object's pass is <see cref="Finalize"/>'s. Every failure after the slot is entered ends in a condition
/// (<c>Synced=False</c>, and <c>Ready=False</c> while no cluster is known) and a Warning Event with a sanitised message
/// (<see cref="ReconcileFailure"/>), then the key backs off; but a 409 Conflict on one of our writes is only retried
/// (the next pass reads the newer object), a failure of the API server itself is only retried until it has lasted
/// <see cref="Kubernetes.ApiServerHiccups.Grace"/>, and an update ECS is still applying is waited for on a timer with a
/// condition but no Event. A decision that throws (a bug) is reported the same way as an <c>InternalError</c>
/// (<see cref="DecisionFailed"/>). An ACTIVE, converged cluster is not requeued: steady state is the drift scanner's job.
/// </summary>
internal static partial class ClusterDecision
{
    public static ClusterPlan Decide(ClusterObservation observation, ClusterReconcilerOptions options)
    {
        var s = new ClusterScript(observation, options);
        return observation.Obj.Metadata.DeletionTimestamp is null ? Converge(s) : Finalize(s);
    }

    /// <summary>
    /// The plan when <see cref="Decide"/> itself threw <paramref name="bug"/>: <c>Synced=False</c> (and <c>Ready=False</c>
    /// while no cluster is known) with <c>InternalError</c>, the status written, a Warning Event, then the failure
    /// rethrown for the queue's back-off. Nothing is decided from the observation's answers, which may be what broke it.
    /// </summary>
    public static ClusterPlan DecisionFailed(ClusterObservation observation, ClusterReconcilerOptions options, Exception bug)
    {
        var s = new ClusterScript(observation with { Failure = null, Reportable = true }, options);
        s.Guard(ClusterScript.FailureRules.Report);
        return s.Fail(bug);
    }

    private static ClusterPlan Converge(ClusterScript s)
    {
        var obj = s.Obj;
        if (!Ownership.ReachedEcs(obj))
        {
            // Never created nor adopted: whatever the status says about an ECS cluster was not written by the operator
            // (a hand edit, a restore) and is cleared; a pass that reaches ECS writes what ECS says.
            ClusterStatusMapper.Forget(s.Status);
        }
        var resolution = s.Observation.Resolution;
        var problems = SpecCheck.Problems(obj, resolution.Provider);
        if (problems.Count > 0)
        {
            var message = string.Join("; ", problems);
            s.Set(ClusterConditions.InvalidSpec, true, ClusterConditions.Reasons.InvalidSpec, message);
            s.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.InvalidSpec, message);
            s.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.InvalidSpec, "the spec is invalid; see the InvalidSpec condition");
            s.WriteStatus();
            s.Event(EventSeverity.Warning, ClusterConditions.Reasons.InvalidSpec, message);
            // Terminal: nothing changes until the spec does, and a spec change is a new generation, hence a new pass.
            return s.End(ReconcileResult.Done);
        }
        s.Remove(ClusterConditions.InvalidSpec);
        if (!resolution.IsReady)
        {
            return ProviderNotReady(s, resolution);
        }
        s.Remove(ClusterConditions.ProviderNotReady);
        if (ProviderMove.Refusal(obj, resolution) is { } refusal)
        {
            s.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.ProviderChangeRefused, refusal);
            s.Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.ProviderChangeRefused, refusal);
            s.Status.Ready = false;
            s.WriteStatus();
            s.Event(EventSeverity.Warning, ClusterConditions.Reasons.ProviderChangeRefused, refusal);
            // Terminal: a spec change is a new pass, and a change of the provider wakes its clusters.
            return s.End(ReconcileResult.Done);
        }
        var desired = DesiredCluster.From(obj, resolution.Provider!);
        var name = new ClusterName(resolution.AccountId!, resolution.Provider!.Spec.Region, desired.Name);
        if (Enter(s, name) is { } busy)
        {
            return busy;
        }
        s.Guard(ClusterScript.FailureRules.Converge);
        s.Do(new AddFinalizer());
        return Locate(s, desired, new EcsTarget(resolution.Provider, resolution.AccountId!, ForDeletion: false));
    }

    /// <summary>
    /// The provider is missing, not allowed or not ready: no AWS call. A provider that authenticated before and is
    /// being checked again costs nothing at all; one not validated yet is waited for without a timer; within the grace
    /// after the object's creation without a Warning; afterwards with a Warning and a timed retry.
    /// </summary>
    private static ClusterPlan ProviderNotReady(ClusterScript s, ProviderResolution resolution)
    {
        if (resolution.AwaitingValidation && resolution.Provider?.Status?.Ready == true)
        {
            // A provider that authenticated before is being checked again (a new generation: an edit, or its deletion):
            // nothing is known to be wrong, so the cluster keeps its conditions (no flap to Unknown) and waits for the
            // check to land; the provider's status write wakes it (ProviderDependents).
            return s.End(ReconcileResult.Done);
        }
        var (reason, message) = (resolution.Reason!, resolution.Message!);
        s.Set(ClusterConditions.ProviderNotReady, true, reason, message);
        s.Set(ClusterConditions.Synced, false, reason, message);
        s.Set(ClusterConditions.Ready, s.Status.Status == Ecs.ClusterStatus.Active && s.Status.Ready ? null : false, reason, message);
        s.WriteStatus();
        if (resolution.AwaitingValidation)
        {
            // A wait, not a fault: the provider's status write wakes this cluster (ProviderDependents), no timer needed.
            return s.End(ReconcileResult.Done);
        }
        var blocked = s.Options.BlockedRequeue;
        if (reason is not ClusterConditions.Reasons.ProviderNotAllowed
            && DependencyGrace.Remaining(s.Obj.Metadata, s.Now, s.Options.ProviderGrace) is { } grace)
        {
            // Most likely applied together with this cluster: the provider's watch wakes it, the timer warns if not.
            return s.End(ReconcileResult.After(grace < blocked ? grace : blocked));
        }
        s.Event(EventSeverity.Warning, reason, message);
        return s.End(ReconcileResult.After(blocked));
    }

    /// <summary>
    /// The provider's slot (and the name's lock, when given) for the rest of the pass; null once entered, else the end
    /// of the pass: parked until one of the provider's slots frees, or on a timer where no wake-up is wired.
    /// </summary>
    private static ClusterPlan? Enter(ClusterScript s, ClusterName? name)
    {
        if (!s.Has(s.Observation.Entered))
        {
            return s.Ask(new EnterSlot(ProviderResolver.ProviderKey(s.Obj), name));
        }
        var entered = s.Observation.Entered;
        return entered.Entered ? null
            : s.End(entered.Parked ? ReconcileResult.Done : ReconcileResult.After(s.Options.BusyRequeue));
    }

    /// <summary>Finds the cluster, creating it when there is none, then puts it through the ownership gate.</summary>
    private static ClusterPlan Locate(ClusterScript s, DesiredCluster desired, EcsTarget target)
    {
        var o = s.Observation;
        if (!s.Has(o.Found))
        {
            return s.Ask(new LookUp(target, desired.Name));
        }
        var observed = o.Found.Cluster;
        var created = false;
        if (observed is null)
        {
            if (!s.Has(o.Created))
            {
                return s.Ask(new CreateCluster(target, desired.ToCreateRequest()));
            }
            // Create is idempotent on AWS: it answers with the existing cluster when the name is taken, so what it
            // answered goes through the same ownership gate as a cluster found by DescribeClusters. An answer that
            // carries our ownership tag is the whole new cluster (settings, capacity providers, tags): converge from
            // it without a re-read; any other answer is read again, so the gate sees the tags ECS stores.
            if (o.Created.Cluster is { } fresh && Ownership.OwnerOf(fresh) == Ownership.Owner(s.Obj))
            {
                observed = fresh;
            }
            else if (!s.Has(o.Reread))
            {
                return s.Ask(new DescribeCreated(target, desired.Name));
            }
            else if ((o.Reread.Cluster ?? o.Created.Cluster) is { } answered)
            {
                observed = answered;
            }
            else
            {
                return s.Fail(new InvalidOperationException($"ECS cluster {desired.Name} is not visible right after CreateCluster"));
            }
            created = Ownership.OwnerOf(observed) == Ownership.Owner(s.Obj);
        }
        if (Gate(s, desired, observed) is { } blocked)
        {
            return blocked;
        }
        if (observed.ClusterArn is { Length: > 0 } arn)
        {
            s.Do(new RecordOwnership(arn)); // durably, so it is recognised even without its tag
        }
        if (created)
        {
            s.Changed = true;
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Created, $"Created ECS cluster {desired.Name}");
            s.Log(LogLevel.Information, "Created ECS cluster {ClusterName}", desired.Name);
        }
        return Sync(s, desired, observed, target);
    }

    /// <summary>Applies the minimal diff to an owned cluster (once it is ACTIVE), then reports it.</summary>
    private static ClusterPlan Sync(ClusterScript s, DesiredCluster desired, Ecs.Cluster observed, EcsTarget target)
    {
        var obj = s.Obj;
        // Values AWS rewrites are re-sent only when the spec changed since the last pass that synced it.
        var specChanged = s.Find(ClusterConditions.Synced) is not { Status: Conditions.True } lastSync
            || lastSync.ObservedGeneration != obj.Metadata.Generation;
        var diff = ClusterDiff.Compute(desired, observed, specChanged);
        if (!diff.IsEmpty && observed.Status == Ecs.ClusterStatus.Provisioning)
        {
            // Changes to a cluster still being created are applied once it is ACTIVE.
            s.Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.Creating,
                $"waiting for ECS cluster {desired.Name} to become ACTIVE before applying {diff.Describe()}");
            return Report(s, observed);
        }
        if (!diff.IsEmpty)
        {
            if (!s.Has(s.Observation.Applied, out _))
            {
                return s.Ask(new ApplyDiff(target, diff, observed.ClusterArn!));
            }
            var what = diff.Describe();
            s.Log(LogLevel.Information, "Updated ECS cluster {ClusterName}: {Changes}", desired.Name, what);
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Updated, $"Updated ECS cluster {desired.Name}: {what}");
            if (!s.Has(s.Observation.Refreshed))
            {
                return s.Ask(new DescribeUpdated(target, desired.Name));
            }
            observed = s.Observation.Refreshed.Cluster ?? observed;
            s.Changed = true;
        }
        var note = DesiredCluster.CaseOnlyTagNote(obj, s.Observation.Resolution.Provider!);
        if (note is not null && s.Find(ClusterConditions.Synced)?.Message?.Contains(note, StringComparison.Ordinal) != true)
        {
            // Once: when the note first appears in the condition (the next passes find it there).
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.TagKeysDifferInCase, note);
        }
        s.Set(ClusterConditions.Synced, true, ClusterConditions.Reasons.Synced,
            note is null ? "the ECS cluster matches the spec" : $"the ECS cluster matches the spec; note: {note}");
        // From now on these fields' absence means empty (SpecFields).
        s.Status.ManagedSpecFields = SpecFields.Managed(obj);
        return Report(s, observed);
    }

    /// <summary>What ECS says, in status; Ready follows ECS's state and Synced. Requeued while either is in transition.</summary>
    private static ClusterPlan Report(ClusterScript s, Ecs.Cluster observed)
    {
        ClusterStatusMapper.Apply(s.Status, observed, s.Now);
        if (s.Changed)
        {
            s.Status.LastSyncTime = s.Now; // the operator changed the cluster in this pass
        }
        var active = observed.Status == Ecs.ClusterStatus.Active;
        var syncedCondition = s.Find(ClusterConditions.Synced)!;
        var synced = syncedCondition.Status == Conditions.True;
        var (reason, message) = active && !synced
            ? (syncedCondition.Reason, syncedCondition.Message)
            : ClusterStatusMapper.ReadyReason(observed);
        s.Set(ClusterConditions.Ready, active && synced, reason, message);
        s.WriteStatus();
        return s.End(ClusterStatusMapper.IsTransitional(observed) || !synced ? ReconcileResult.After(s.Options.TransitionRequeue)
            : observed.Status == Ecs.ClusterStatus.Failed ? ReconcileResult.After(s.Options.SlowRequeue)
            : ReconcileResult.Done);
    }
}
