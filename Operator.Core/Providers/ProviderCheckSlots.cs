using System.Diagnostics.Metrics;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Http;
using Operator.Core.Bulkheads;
using Operator.Core.Controllers;
using Operator.Core.Kubernetes;

namespace Operator.Core.Providers;

/// <summary>
/// The AWSProvider controller's bulkhead: a provider's check (its Secrets, its role assumptions, its
/// GetCallerIdentity) runs holding one slot of its namespace and one slot of the STS endpoint it calls, each scope having
/// <see cref="Capacity"/> slots (half the workers by default). So providers whose STS never answers, whether they are
/// one tenant's many providers on many endpoints or many tenants' providers on one endpoint, hold at most that many of
/// the controller's workers, and a provider of another namespace on another endpoint always finds one.
/// Guarantees, as the ECSCluster controller's (<see cref="ProviderBulkhead"/>, <see cref="ProviderWaitList"/>): a
/// provider whose scopes are full is not checked and costs no worker: it is parked on the first full scope
/// (<see cref="Admit"/> before the pass, <see cref="TryEnter"/> in it) and queued again, with its priority, when a slot of
/// that scope frees; waits are counted in <c>awsprovider_check_busy_total{scope}</c>, slots in use are
/// <c>awsprovider_checks_in_flight{scope}</c>. The caller disposes what <see cref="TryEnter"/> returns when its AWS
/// work is over, and calls <see cref="Settled"/> at the end of every pass. Thread-safe.
/// </summary>
internal sealed class ProviderCheckSlots
{
    public static readonly BulkheadMetrics Metrics = new(ProviderBulkhead.MeterName, "awsprovider_check_busy_total",
        "AWSProvider checks parked because their namespace or their STS endpoint already had its share of the workers.",
        "awsprovider_checks_in_flight", "AWSProvider checks running now, per namespace and per STS endpoint.", "scope");

    private readonly ProviderBulkhead _bulkhead;
    private readonly string? _defaultEndpoint;

    /// <param name="defaultEndpoint">The STS endpoint of providers without spec.endpoint (the operator's
    /// <c>--aws-endpoint</c>); null: AWS's regional endpoint.</param>
    public ProviderCheckSlots(int capacity, string? defaultEndpoint, IMeterFactory meters)
    {
        _bulkhead = new ProviderBulkhead(capacity, meters, Metrics);
        _defaultEndpoint = defaultEndpoint;
        Waiting = new ProviderWaitList(_bulkhead);
    }

    public int Capacity => _bulkhead.Capacity;

    /// <summary>Parked checks, woken through <see cref="ProviderWaitList.WakeWith(Action{string, int})"/> (wired to the controller).</summary>
    public ProviderWaitList Waiting { get; }

    /// <summary>The scopes a check of <paramref name="provider"/> holds a slot of: "namespace/&lt;ns&gt;" and
    /// "endpoint/&lt;scheme://host:port&gt;" of the STS endpoint it calls.</summary>
    public IReadOnlyList<string> ScopesOf(AWSProvider provider)
    {
        var endpoint = !string.IsNullOrEmpty(provider.Spec.Endpoint) ? provider.Spec.Endpoint
            : _defaultEndpoint ?? $"https://sts.{provider.Spec.Region}.amazonaws.com";
        return [$"namespace/{provider.Metadata.NamespaceProperty}", $"endpoint/{AwsHttpPools.EndpointKey(endpoint)}"];
    }

    /// <summary>
    /// <see cref="IReconcileAdmission.Admit"/> for the controller: false (the key parked, and woken when a slot of the
    /// full scope frees) when a scope of the provider has no free slot; true otherwise, reserving nothing.
    /// </summary>
    public bool Admit(AWSProvider provider, ReconcileRequest request)
    {
        foreach (var scope in ScopesOf(provider))
        {
            if (_bulkhead.InUse(scope) >= _bulkhead.Capacity)
            {
                if (!Waiting.Park(scope, request.Key, request.Priority))
                {
                    return true; // no wake-up wired: the pass finds the scope full and requeues on a timer
                }
                _bulkhead.CountBusy(scope);
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A slot of every scope of <paramref name="provider"/>, or null when one is full: then the key is parked on that
    /// scope (woken when it frees), unless no wake-up is wired (<paramref name="parked"/> false: requeue on a timer).
    /// </summary>
    public IDisposable? TryEnter(AWSProvider provider, int priority, out bool parked)
    {
        var key = ObjectKey.Of(provider);
        var held = new List<ProviderBulkhead.Slot>();
        foreach (var scope in ScopesOf(provider))
        {
            if (_bulkhead.TryEnter(scope) is { } slot)
            {
                held.Add(slot);
                continue;
            }
            held.ForEach(s => s.Dispose());
            parked = Waiting.Park(scope, key, priority);
            return null;
        }
        Waiting.Entered(key);
        parked = false;
        return new Slots(held);
    }

    /// <summary>End of a pass of <paramref name="key"/>: a wake-up it did not use goes to the next parked key.</summary>
    public void Settled(string key) => Waiting.Settled(key);

    /// <summary>Slots of a scope in use now (for tests and diagnostics).</summary>
    public int InUse(string scope) => _bulkhead.InUse(scope);

    private sealed class Slots(List<ProviderBulkhead.Slot> held) : IDisposable
    {
        public void Dispose() => held.ForEach(s => s.Dispose());
    }
}
