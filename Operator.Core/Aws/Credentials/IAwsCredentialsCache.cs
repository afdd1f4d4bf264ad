using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// One <see cref="ProviderSession"/> per provider key ("namespace/name"), reused while the provider's uid and
/// generation are unchanged and it has not been invalidated. Thread-safe; concurrent calls for the same provider
/// share one build. The informer layer must call <see cref="Invalidate"/> when a provider or a Secret it references
/// changes or is deleted; the cache also re-reads the Secrets periodically as a safety net.
/// </summary>
internal interface IAwsCredentialsCache
{
    Task<ProviderSession> GetAsync(AWSProvider provider, CancellationToken ct);

    void Invalidate(string providerKey);
}
