using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// In-use protection of AWSProviders (as Kubernetes' PVC protection): a provider that at least one ECSCluster
/// references carries <see cref="Finalizer"/>, so deleting it waits until the last such cluster is gone (and those
/// clusters can still be deleted in ECS with it meanwhile); an unused provider carries none and is deleted at once.
/// <see cref="ProviderDecision"/> decides it on every pass from the users read here from the ECSCluster cache; the
/// caller must queue the provider whenever a cluster that uses it is added, deleted or moved (<see cref="ClusterUsageHandler"/>).
/// </summary>
internal static class ProviderProtection
{
    public const string Finalizer = "aws-infra-operator.runner.codes/provider-in-use";

    /// <summary>The keys of the ECSClusters that use <paramref name="provider"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> Users(ObjectStore<ECSCluster> clusters, AWSProvider provider) =>
        [.. clusters.ByIndex(ProviderReconciler.ClustersByProviderIndex, ObjectKey.Of(provider)).Select(ObjectKey.Of).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The DeletionBlocked message of a provider being deleted while <paramref name="users"/> (not empty) use it. Users
    /// in the provider's own namespace are named, at most 10; those of namespaces it admits are only counted.
    /// </summary>
    public static string InUseMessage(AWSProvider provider, IReadOnlyList<string> users)
    {
        var own = users.Where(u => TenantView.IsOwn(provider.Metadata.NamespaceProperty, u)).ToList();
        var elsewhere = users.Count - own.Count;
        var shown = string.Join(", ", own.Take(10)) + (own.Count > 10 ? $" and {own.Count - 10} more" : "")
            + (elsewhere == 0 ? "" : $"{(own.Count > 0 ? "; " : "")}{elsewhere} in other namespaces");
        return users.Count == 1
            ? $"deletion waits for 1 ECSCluster that uses this provider: {shown}"
            : $"deletion waits for {users.Count} ECSClusters that use this provider: {shown}";
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
