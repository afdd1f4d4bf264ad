using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Informers;
using Operator.Core.Providers;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

internal sealed partial class ClusterLookup
{
    /// <summary>
    /// The upcoming lookups of <paramref name="obj"/>'s provider: the cluster names of its other objects that have no
    /// cluster recorded yet (new objects, which the controller will look up before creating), read lazily from the cache.
    /// </summary>
    public static Func<IEnumerable<string>> NewObjectsOf(ObjectStore<ECSCluster> clusters, ECSCluster obj)
    {
        var provider = ProviderResolver.ProviderKey(obj);
        var own = obj.Spec.ClusterName;
        return () => clusters.ByIndex(ProviderReconciler.ClustersByProviderIndex, provider)
            .Where(c => c.Metadata.DeletionTimestamp is null && c.Status?.ClusterARN is null && c.Spec.ClusterName != own)
            // Roughly the order the work queue reaches them in, so what is read ahead is used before it expires.
            .OrderBy(c => c.Metadata.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(c => c.Metadata.Name, StringComparer.Ordinal)
            .Select(c => c.Spec.ClusterName);
    }

    /// <summary>
    /// The upcoming checks before DeleteCluster of <paramref name="obj"/>'s provider: the cluster names of its other
    /// objects being deleted with <c>deletionPolicy: Delete</c> that have a cluster recorded, read lazily from the cache.
    /// </summary>
    public static Func<IEnumerable<string>> DeletionsOf(ObjectStore<ECSCluster> clusters, ECSCluster obj)
    {
        var provider = ProviderResolver.ProviderKey(obj);
        var own = obj.Spec.ClusterName;
        return () => clusters.ByIndex(ProviderReconciler.ClustersByProviderIndex, provider)
            .Where(c => c.Metadata.DeletionTimestamp is not null && c.Spec.DeletionPolicy != DeletionPolicy.Retain
                && c.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) == true && Ownership.MayExistInEcs(c) && c.Spec.ClusterName != own)
            .OrderBy(c => c.Metadata.DeletionTimestamp)
            .ThenBy(c => c.Metadata.Name, StringComparer.Ordinal)
            .Select(c => c.Spec.ClusterName);
    }
}
