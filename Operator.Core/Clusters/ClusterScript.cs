using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Clusters;

/// <summary>
/// How <see cref="ClusterDecision"/> writes a plan. A decision replays the pass from its start over the answers gathered
/// so far, as a durable workflow replays its history: where it needs an answer that is known (<see cref="Has{T}"/>),
/// the effects decided before it were carried out by the plan that asked for it and are dropped; where it needs one
/// that is not, the plan is the effects since then and the step that asks (<see cref="Ask"/>); at the end, the effects
/// since the last answer and the result (<see cref="End"/>). The working status (<see cref="Status"/>,
/// <see cref="Conditions"/>) is replayed along, so every plan sees the status the pass has built up to its point.
/// When the observation holds a failure, the first <see cref="Ask"/> or <see cref="End"/> is where it happened: from
/// <see cref="Guard"/> on it is reported as the guard's rules say, before it it ends the pass as it is. One script
/// per decision; not thread-safe.
/// </summary>
internal sealed class ClusterScript(ClusterObservation observation, ClusterReconcilerOptions options)
{
    private readonly List<ClusterEffect> _effects = [];
    private FailureRules _rules = FailureRules.None;

    /// <summary>How a failure is reported: not at all (rethrown as it is), as a converging pass does, or only as a generic failure.</summary>
    public enum FailureRules
    {
        None,
        Converge,
        Report,
    }

    public ClusterObservation Observation { get; } = observation;
    public ClusterReconcilerOptions Options { get; } = options;
    public ECSCluster Obj => Observation.Obj;
    public DateTime Now => Observation.Now;

    /// <summary>The working copy of the status (never the cached object's).</summary>
    public ECSClusterStatus Status { get; } = (observation.Obj.Status ?? new ECSClusterStatus()) with { };
    public List<V1Condition> Conditions { get; } = Operator.Core.Status.Conditions.Copy(observation.Obj.Status?.Conditions);

    /// <summary>This pass created or changed the ECS cluster (lastSyncTime moves).</summary>
    public bool Changed { get; set; }

    public void Set(string type, bool? status, string reason, string message) =>
        Operator.Core.Status.Conditions.Set(Conditions, type, status, reason, message, Obj.Metadata.Generation, Now);

    public void Remove(string type) => Operator.Core.Status.Conditions.Remove(Conditions, type);

    public V1Condition? Find(string type) => Operator.Core.Status.Conditions.Find(Conditions, type);

    /// <summary>
    /// Deletion cannot go on: DeletionBlocked, and Synced (what kubectl -o wide shows as REASON and MESSAGE) carry
    /// the reason and the message; Ready is False with <c>Deleting</c>.
    /// </summary>
    public void BlockDeletion(string reason, string message)
    {
        Set(ClusterConditions.DeletionBlocked, true, reason, message);
        Set(ClusterConditions.Synced, false, reason, message);
        Set(ClusterConditions.Ready, false, ClusterConditions.Reasons.Deleting,
            $"ECS cluster {Obj.Spec.ClusterName} is being deleted; see the DeletionBlocked condition");
    }

    public void Do(ClusterEffect effect) => _effects.Add(effect);

    public void Event(EventSeverity severity, string reason, string message, string? series = null) =>
        _effects.Add(new RecordEvent(severity, reason, message, series));

    public void Log(LogLevel level, string template, params object?[] args) => _effects.Add(new LogLine(level, template, args));

    /// <summary>
    /// The status write: <c>status.ready</c> is true exactly when the Ready condition is True, and the status states
    /// the generation it reflects, so a hand-edited <c>ready</c> is corrected by the next write.
    /// </summary>
    public void WriteStatus()
    {
        Status.Conditions = Conditions;
        Status.Ready = ClusterStatusRule.IsReady(Conditions);
        Status.Phase = ClusterStatusRule.Phase(Obj.Metadata.DeletionTimestamp is not null, Status);
        Status.ObservedGeneration = Obj.Metadata.Generation;
        _effects.Add(new WriteStatus(Status with { Conditions = Operator.Core.Status.Conditions.Copy(Conditions) }));
    }

    /// <summary>True when <paramref name="answer"/> is known: the effects decided so far ran before it was asked.</summary>
    public bool Has<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] T? answer) where T : class
    {
        if (answer is null)
        {
            return false;
        }
        _effects.Clear();
        return true;
    }

    /// <inheritdoc cref="Has{T}"/>
    public bool Has(bool? answer, out bool value)
    {
        value = answer ?? false;
        if (answer is null)
        {
            return false;
        }
        _effects.Clear();
        return true;
    }

    /// <summary>From here on, failures are reported by <paramref name="rules"/>.</summary>
    public void Guard(FailureRules rules) => _rules = rules;

    public ClusterPlan Ask(ClusterStep step) =>
        Observation.Failure is { } failure ? Fail(failure) : new ClusterPlan([.. _effects], step, ReconcileResult.Done, null);

    public ClusterPlan End(ReconcileResult result) =>
        Observation.Failure is { } failure ? Fail(failure) : new ClusterPlan([.. _effects], null, result, null);

    /// <summary>
    /// The pass failed with <paramref name="e"/> here (what a step threw, or what the decision found impossible). Under
    /// <see cref="FailureRules.None"/>, and for a 409 Conflict (the next pass reads the newer object), it is rethrown as
    /// it is; otherwise the plan reports it (<see cref="ReportAs"/>) and rethrows it for the queue's back-off, except
    /// that a converging pass only waits for an UpdateInProgress.
    /// </summary>
    public ClusterPlan Fail(Exception e)
    {
        _effects.Clear();
        if (_rules == FailureRules.None || ApiErrors.IsConflict(e))
        {
            return Failing(null, e);
        }
        if (_rules == FailureRules.Converge && e is UpdateInProgressException)
        {
            Set(ClusterConditions.Synced, false, ClusterConditions.Reasons.UpdateInProgress,
                $"ECS is still applying a previous capacity provider change: {e.Message}");
            WriteStatus();
            return Failing(null, null) with { Result = ReconcileResult.After(Options.TransitionRequeue) };
        }
        if (_rules == FailureRules.Converge && e is EcsException { Retryable: false } ecs)
        {
            // Retried with per-item back-off: a missing capacity provider or IAM policy can be fixed meanwhile.
            var reason = ecs is AccessDeniedException ? ClusterConditions.Reasons.AccessDenied
                : ecs is InvalidParameterException or ClientException ? ClusterConditions.Reasons.InvalidParameter
                : ClusterConditions.Reasons.AwsError;
            ReportAs(reason, $"{ecs.ErrorCode}: {ecs.Message}");
            return Failing(null, e);
        }
        if (Observation.Reportable is not { } reportable)
        {
            return Failing(new AssessFailure(e), null);
        }
        var failure = ReconcileFailure.Of(e);
        if (reportable)
        {
            ReportAs(failure.Reason, failure.Message);
        }
        // Otherwise the API server restarting or overloaded: retried with back-off, shown only if it lasts, and rethrown
        // as it came so the controller knows it for a hiccup.
        return Failing(null, reportable ? failure.ToException(e) : e);
    }

    /// <summary><c>Synced=False</c>, <c>Ready=False</c> while no cluster is known, the status written, a Warning Event.</summary>
    private void ReportAs(string reason, string message)
    {
        Set(ClusterConditions.Synced, false, reason, message);
        if (Status.ClusterARN is null)
        {
            Set(ClusterConditions.Ready, false, reason, message);
            Status.Ready = false;
        }
        WriteStatus();
        Event(EventSeverity.Warning, reason, message);
    }

    private ClusterPlan Failing(ClusterStep? next, Exception? rethrow) =>
        new([.. _effects], next, ReconcileResult.Done, rethrow) { HandlesFailure = true };
}
