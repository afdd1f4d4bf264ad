namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Reads one key of a Secret. Implementations return the decoded value with the Secret's resourceVersion, or throw
/// <see cref="ProviderCredentialsException"/> with <see cref="ProviderCredentialsReasons.SecretNotFound"/>,
/// <see cref="ProviderCredentialsReasons.SecretKeyNotFound"/>, <see cref="ProviderCredentialsReasons.SecretForbidden"/>,
/// <see cref="ProviderCredentialsReasons.SecretUnreadable"/> (any other 4xx answer) or
/// <see cref="ProviderCredentialsReasons.InvalidSpec"/> (a namespace, name or key that is not a valid Kubernetes
/// name, refused before any request); 429 and 5xx answers, transport failures and cancellation propagate as they
/// are, so the caller retries them with back-off. They never log or put the value in a message.
/// </summary>
internal interface ISecretReader
{
    Task<SecretKeyValue> ReadKeyAsync(string ns, string name, string key, CancellationToken ct);
}
