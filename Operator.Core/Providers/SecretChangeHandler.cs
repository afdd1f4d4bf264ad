using k8s.Models;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;

namespace Operator.Core.Providers;

/// <summary>
/// Turns a change of a Secret into a re-validation of every AWSProvider that reads it (its credentials are dropped
/// from the cache first), so a rotated key takes effect without a restart. Secrets no provider references are
/// ignored. The Secret informer caches metadata only: secret material never sits in the operator's cache.
/// </summary>
internal sealed class SecretChangeHandler(
    ObjectStore<AWSProvider> providers, IAwsCredentialsCache credentials, Action<string> enqueueProvider) : IInformerHandler<V1Secret>
{
    public const string ProvidersBySecretIndex = "secret";

    /// <summary>The index values of a provider: "namespace/secretName" of every Secret it references.</summary>
    public static IEnumerable<string> SecretsOf(AWSProvider provider)
    {
        var ns = provider.Metadata.NamespaceProperty;
        return new[] { provider.Spec.AccessKeyIDRef, provider.Spec.SecretAccessKeyRef, provider.Spec.SessionTokenRef }
            .Where(r => r is not null)
            .Select(r => ObjectKey.Of(ns, r!.Name))
            .Distinct(StringComparer.Ordinal);
    }

    /// <summary>Strips a Secret to its metadata before it is cached.</summary>
    public static V1Secret MetadataOnly(V1Secret secret) => new()
    {
        ApiVersion = secret.ApiVersion,
        Kind = secret.Kind,
        Metadata = new V1ObjectMeta
        {
            Name = secret.Metadata.Name,
            NamespaceProperty = secret.Metadata.NamespaceProperty,
            ResourceVersion = secret.Metadata.ResourceVersion,
            Uid = secret.Metadata.Uid,
        },
    };

    public void OnAdd(V1Secret obj) => Changed(obj);

    public void OnUpdate(V1Secret oldObj, V1Secret newObj)
    {
        if (oldObj.Metadata.ResourceVersion != newObj.Metadata.ResourceVersion)
        {
            Changed(newObj);
        }
    }

    public void OnDelete(V1Secret obj) => Changed(obj);

    private void Changed(V1Secret secret)
    {
        foreach (var provider in providers.ByIndex(ProvidersBySecretIndex, ObjectKey.Of(secret)))
        {
            var key = ObjectKey.Of(provider);
            credentials.Invalidate(key);
            enqueueProvider(key);
        }
    }
}
