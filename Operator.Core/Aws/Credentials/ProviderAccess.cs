using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Which namespaces' ECSClusters may use a provider: its own namespace always; the namespaces listed in
/// spec.allowedNamespaces; every namespace when that list contains "*".
/// </summary>
internal static class ProviderAccess
{
    public const string AllNamespaces = "*";

    public static bool IsAllowed(AWSProvider provider, string clusterNamespace)
    {
        if (string.Equals(provider.Metadata.NamespaceProperty, clusterNamespace, StringComparison.Ordinal))
        {
            return true;
        }

        var allowed = provider.Spec.AllowedNamespaces;
        return allowed is not null && allowed.Any(ns =>
            ns == AllNamespaces || string.Equals(ns, clusterNamespace, StringComparison.Ordinal));
    }
}
