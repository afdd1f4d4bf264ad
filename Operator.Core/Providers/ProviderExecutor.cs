using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Http;
using Operator.Core.Aws;
using Operator.Core.Bulkheads;
using Operator.Core.Clusters;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// Carries out the AWSProvider reconciler's plans (<see cref="ProviderPlan"/>): the only code of that reconciler that
/// writes status, Events or the in-use finalizer, calls STS, or changes what is kept per provider (sessions, last
/// working credentials, ECS clients, HTTP pools, the endpoint's failure count). Each pass gets a <see cref="Run"/>
/// (<see cref="Start"/>), which holds the pass's check slots until disposed; the caller must dispose it on every path
/// and call <see cref="Settled"/> at the end of every pass. Credentials never leave it: a check's session goes from the
/// credentials cache to STS and to <see cref="IAwsCredentialsCache.RecordWorking"/>, and only the identity is answered.
/// Thread-safe; a run serves one pass at a time.
/// It logs under <see cref="ProviderReconciler"/>'s category, as the reconciler did before it was split: log filters and
/// queries keyed to the reconciler keep matching.
/// </summary>
internal sealed class ProviderExecutor(
    IAwsCredentialsCache credentials,
    IIdentityChecker identity,
    EcsClientCache ecsClients,
    AwsHttpPools httpPools,
    ObjectPatcher patcher,
    IEventRecorder events,
    ProviderCheckSlots slots,
    Kubernetes.ApiServerHiccups hiccups,
    ILogger<ProviderReconciler> logger)
{
    // Consecutive failed checks of a failing endpoint, per provider key: the back-off's exponent.
    private readonly ConcurrentDictionary<string, int> _endpointFailures = new(StringComparer.Ordinal);

    /// <summary>Consecutive failed checks of <paramref name="key"/>'s failing endpoint (for the observation).</summary>
    public int EndpointFailures(string key) => _endpointFailures.TryGetValue(key, out var n) ? n : 0;

    /// <inheritdoc cref="ProviderCheckSlots.Settled"/>
    public void Settled(string key) => slots.Settled(key);

    public Run Start(string key, int priority) => new(this, key, priority);

    /// <summary>One pass's execution, holding its check slots: see <see cref="ProviderExecutor"/>.</summary>
    internal sealed class Run(ProviderExecutor executor, string key, int priority) : IDisposable
    {
        public string Key { get; } = key;
        public int Priority { get; } = priority;
        public IDisposable? Slots { get; set; }

        /// <summary>Carries out <paramref name="plan"/>'s effects in order, then its step; returns <paramref name="observation"/>
        /// with the step's answer. Throws what an effect or a step threw, except a check's failure, which is its answer.</summary>
        public Task<ProviderObservation> CarryOutAsync(ProviderPlan plan, ProviderObservation observation, CancellationToken ct) =>
            executor.CarryOutAsync(this, plan, observation, ct);

        public void Dispose() => Slots?.Dispose();
    }

    private async Task<ProviderObservation> CarryOutAsync(Run run, ProviderPlan plan, ProviderObservation o, CancellationToken ct)
    {
        foreach (var effect in plan.Effects)
        {
            await ApplyAsync(run, effect, o.Obj, ct).ConfigureAwait(false);
        }
        return plan.Next switch
        {
            null => o,
            RemoveInUseFinalizer => o with { FinalizerRemoved = await patcher.RemoveFinalizerAsync(o.Obj!, ProviderProtection.Finalizer, ct).ConfigureAwait(false) },
            EnterChecks => o with { Entered = Enter(run, o.Obj!) },
            Authenticate => o with { Check = await AuthenticateAsync(o.Obj!, ct).ConfigureAwait(false) },
            var step => throw new InvalidOperationException($"no executor for step {step.GetType().Name}"),
        };
    }

    private SlotAnswer Enter(Run run, AWSProvider obj)
    {
        run.Slots = slots.TryEnter(obj, run.Priority, out var parked);
        if (run.Slots is not null)
        {
            return new SlotAnswer(true, false);
        }
        logger.LogDebug("AWSProvider {Provider}: its namespace or STS endpoint already has {Capacity} checks running; parked until one ends",
            run.Key, slots.Capacity);
        return new SlotAnswer(false, parked);
    }

    private async Task<ProviderCheck> AuthenticateAsync(AWSProvider obj, CancellationToken ct)
    {
        try
        {
            var session = await credentials.GetAsync(obj, ct).ConfigureAwait(false);
            var caller = await identity.GetCallerIdentityAsync(session, ct).ConfigureAwait(false);
            credentials.RecordWorking(obj, session, caller.Account);
            return new ProviderCheck(caller, null);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            return new ProviderCheck(null, e, hiccups.ShouldReport(Kubernetes.ObjectKey.Of(obj), e));
        }
    }

    private async Task ApplyAsync(Run run, ProviderEffect effect, AWSProvider? obj, CancellationToken ct)
    {
        switch (effect)
        {
            case WriteProviderStatus write:
                await patcher.PatchStatusIfChangedAsync<AWSProvider, AWSProviderStatus>(obj!, write.Status, ct).ConfigureAwait(false);
                break;
            case RecordProviderEvent e:
                await events.RecordAsync(obj!, e.Severity, e.Reason, e.Message, ct, e.Series).ConfigureAwait(false);
                break;
            case AddInUseFinalizer:
                await patcher.AddFinalizerAsync(obj!, ProviderProtection.Finalizer, ct).ConfigureAwait(false);
                break;
            case InvalidateCredentials:
                credentials.Invalidate(run.Key);
                break;
            case ForgetProvider:
                credentials.Invalidate(run.Key);
                credentials.Forget(run.Key);
                ecsClients.Forget(run.Key);
                httpPools.Forget(run.Key);
                _endpointFailures.TryRemove(run.Key, out _);
                break;
            case ResetRechecks:
                _endpointFailures.TryRemove(run.Key, out _);
                break;
            case CountRecheck:
                _endpointFailures.AddOrUpdate(run.Key, 1, static (_, n) => n + 1);
                break;
            case ProviderLog line:
#pragma warning disable CA2254 // the template is the decision's, a constant there
                logger.Log(line.Level, line.Template, line.Args);
#pragma warning restore CA2254
                break;
            default:
                throw new InvalidOperationException($"no executor for effect {effect.GetType().Name}");
        }
    }
}
