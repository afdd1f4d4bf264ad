using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// Maps an AWSProvider change to the ECSClusters that use it (the <see cref="ProviderReconciler.ClustersByProviderIndex"/>
/// index), for the cluster controller's watch of AWSProviders. Fired from the AWSProvider informer after its cache
/// holds the new state, so a woken cluster reads the provider exactly as the change left it (never "not validated
/// yet" because its wake-up overtook the provider's status write). Wakes on an add, a delete, and an update that
/// changes what <see cref="ProviderResolver"/> decides from: readiness, account, the generation validated (and
/// whether that is the current one), the Ready condition's reason, or the allowed namespaces. A resync and the
/// provider's routine re-check (only lastAuthenticationTime moves) wake nobody.
/// </summary>
internal static class ProviderDependents
{
    public static Func<AWSProvider?, AWSProvider?, IEnumerable<string>> Map(ObjectStore<ECSCluster> clusters) =>
        (oldObj, newObj) =>
        {
            var provider = newObj ?? oldObj;
            if (provider is null || (oldObj is not null && newObj is not null && Fingerprint(oldObj) == Fingerprint(newObj)))
            {
                return [];
            }
            return [.. clusters.ByIndex(ProviderReconciler.ClustersByProviderIndex, ObjectKey.Of(provider)).Select(ObjectKey.Of)];
        };

    private static string Fingerprint(AWSProvider p)
    {
        var status = p.Status;
        var validated = status?.ObservedGeneration == p.Metadata.Generation;
        var reason = Conditions.Find(status?.Conditions, ProviderConditions.Ready)?.Reason;
        var allowed = string.Join(',', p.Spec.AllowedNamespaces ?? []);
        return $"{status?.Ready}|{status?.AccountID}|{status?.ObservedGeneration}|{validated}|{reason}|{allowed}";
    }
}
