using Operator.Core.Api.V1Alpha1;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// In-use protection of AWSProviders (as Kubernetes' PVC protection): a provider that at least one ECSCluster
/// references carries <see cref="Finalizer"/>, so deleting it waits until the last such cluster is gone (and those
/// clusters can still be deleted in ECS with it meanwhile); an unused provider carries none and is deleted at once.
/// Users are read from the ECSCluster cache; the caller must re-run <see cref="ReconcileAsync"/> whenever a cluster
/// that uses the provider is added, deleted or moved (<see cref="ClusterUsageHandler"/>).
/// </summary>
internal sealed class ProviderProtection(ObjectStore<ECSCluster> clusters, ObjectPatcher patcher, IEventRecorder events)
{
    public const string Finalizer = "aws-infra-operator.runner.codes/provider-in-use";

    /// <summary>
    /// Adds or removes the finalizer. Returns the DeletionBlocked message while the provider is being deleted and still
    /// used (the caller sets the condition), null otherwise; <paramref name="released"/> is true when the finalizer of
    /// a provider being deleted was just removed, so the object is about to disappear.
    /// </summary>
    public async Task<(string? Blocked, bool Released)> ReconcileAsync(AWSProvider provider, CancellationToken ct)
    {
        var users = clusters.ByIndex(ProviderReconciler.ClustersByProviderIndex, ObjectKey.Of(provider))
            .Select(ObjectKey.Of).Order(StringComparer.Ordinal).ToList();
        if (users.Count > 0)
        {
            if (provider.Metadata.DeletionTimestamp is null)
            {
                await patcher.AddFinalizerAsync(provider, Finalizer, ct).ConfigureAwait(false);
                return (null, false);
            }
            if (provider.Metadata.Finalizers?.Contains(Finalizer) != true)
            {
                return (null, false); // deleted before it was used: nothing to hold it
            }
            // Users in the provider's own namespace are named; those of namespaces it admits are only counted.
            var own = users.Where(u => TenantView.IsOwn(provider.Metadata.NamespaceProperty, u)).ToList();
            var elsewhere = users.Count - own.Count;
            var shown = string.Join(", ", own.Take(10)) + (own.Count > 10 ? $" and {own.Count - 10} more" : "")
                + (elsewhere == 0 ? "" : $"{(own.Count > 0 ? "; " : "")}{elsewhere} in other namespaces");
            var message = users.Count == 1
                ? $"deletion waits for 1 ECSCluster that uses this provider: {shown}"
                : $"deletion waits for {users.Count} ECSClusters that use this provider: {shown}";
            // One Event while clusters hold it, its count and message following the users (not one per change of the count).
            await events.RecordAsync(provider, EventSeverity.Warning, ProviderConditions.DeletionBlocked, message, ct,
                series: ProviderConditions.Reasons.InUse).ConfigureAwait(false);
            return (message, false);
        }
        var removed = await patcher.RemoveFinalizerAsync(provider, Finalizer, ct).ConfigureAwait(false);
        return (null, removed && provider.Metadata.DeletionTimestamp is not null);
    }
}

/// <summary>
/// Queues the AWSProvider an ECSCluster uses when <see cref="ProviderProtection"/> has something to do: a cluster
/// starts using a provider that has no in-use finalizer yet, or stops using one that is being deleted. Other cluster
/// events do not queue the provider (each provider pass re-checks its credentials with STS). Quick and non-blocking,
/// as informer handlers must be.
/// </summary>
internal sealed class ClusterUsageHandler(ObjectStore<AWSProvider> providers, Action<string> enqueueProvider) : IInformerHandler<ECSCluster>
{
    public void OnAdd(ECSCluster obj) => Started(ProviderResolver.ProviderKey(obj));

    public void OnUpdate(ECSCluster oldObj, ECSCluster newObj)
    {
        var before = ProviderResolver.ProviderKey(oldObj);
        var after = ProviderResolver.ProviderKey(newObj);
        if (before != after)
        {
            Stopped(before);
            Started(after);
        }
    }

    public void OnDelete(ECSCluster obj) => Stopped(ProviderResolver.ProviderKey(obj));

    private void Started(string key)
    {
        if (providers.Get(key) is { } provider && provider.Metadata.Finalizers?.Contains(ProviderProtection.Finalizer) != true)
        {
            enqueueProvider(key);
        }
    }

    private void Stopped(string key)
    {
        if (providers.Get(key) is { Metadata.DeletionTimestamp: not null })
        {
            enqueueProvider(key);
        }
    }
}
