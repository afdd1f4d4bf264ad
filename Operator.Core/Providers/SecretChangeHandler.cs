using k8s.Models;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;

namespace Operator.Core.Providers;

/// <summary>
/// Turns a change of a Secret into a re-validation of every AWSProvider that reads it (its credentials are dropped
/// from the cache first), so a rotated key takes effect without a restart. Secrets no provider references are
/// ignored. The Secret informer lists and watches metadata only (<see cref="PartialObjectMetadata{TKind}"/>): no
/// Secret's data ever reaches the operator through it; a provider's referenced Secret is read with a GET
/// (<see cref="Aws.Credentials.KubernetesSecretReader"/>) when the provider is checked after its resourceVersion
/// changed (and at the credentials cache's periodic re-read).
/// </summary>
internal sealed class SecretChangeHandler(
    ObjectStore<AWSProvider> providers, IAwsCredentialsCache credentials, Action<string> enqueueProvider)
    : IInformerHandler<PartialObjectMetadata<V1Secret>>
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

    /// <summary>Keeps of a Secret's metadata what this handler reads (labels and annotations go: kubectl's
    /// last-applied annotation of a Secret repeats its data).</summary>
    public static PartialObjectMetadata<V1Secret> MetadataOnly(PartialObjectMetadata<V1Secret> secret) => new()
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

    public void OnAdd(PartialObjectMetadata<V1Secret> obj) => Changed(obj);

    public void OnUpdate(PartialObjectMetadata<V1Secret> oldObj, PartialObjectMetadata<V1Secret> newObj)
    {
        if (oldObj.Metadata.ResourceVersion != newObj.Metadata.ResourceVersion)
        {
            Changed(newObj);
        }
    }

    public void OnDelete(PartialObjectMetadata<V1Secret> obj) => Changed(obj);

    private void Changed(PartialObjectMetadata<V1Secret> secret)
    {
        foreach (var provider in providers.ByIndex(ProvidersBySecretIndex, ObjectKey.Of(secret)))
        {
            var key = ObjectKey.Of(provider);
            credentials.Invalidate(key);
            enqueueProvider(key);
        }
    }
}
