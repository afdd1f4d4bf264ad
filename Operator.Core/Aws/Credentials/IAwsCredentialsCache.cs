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

    /// <summary>
    /// Remembers that <paramref name="session"/> authenticated as <paramref name="accountId"/> for this provider object
    /// (its uid and the spec fields its credentials come from), for <see cref="GetForDeletionAsync"/>. In memory only:
    /// a restart forgets it. Call it after a successful identity check.
    /// </summary>
    void RecordWorking(AWSProvider provider, ProviderSession session, string accountId);

    /// <summary>The account of this provider object's last working credentials (same uid and credential fields), or null.</summary>
    string? LastWorkingAccount(AWSProvider provider);

    /// <summary>
    /// For deleting or releasing an ECS cluster only: <see cref="GetAsync"/>, except that when that fails because a
    /// Secret the provider reads is NotFound (read again from the API server on this call), the last working credentials
    /// of the same provider object and credential fields are returned instead, if any. Any other failure propagates.
    /// </summary>
    Task<ProviderSession> GetForDeletionAsync(AWSProvider provider, CancellationToken ct);

    /// <summary>Drops the last working credentials of a provider key: call it once the provider is gone.</summary>
    void Forget(string providerKey);
}
