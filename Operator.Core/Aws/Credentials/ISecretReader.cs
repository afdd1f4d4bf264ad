namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Reads one key of a Secret. Implementations return the decoded value with the Secret's resourceVersion, or throw
/// <see cref="ProviderCredentialsException"/> with <see cref="ProviderCredentialsReasons.SecretNotFound"/> or
/// <see cref="ProviderCredentialsReasons.SecretKeyNotFound"/>; other failures (API unavailable, forbidden) propagate
/// as they are, so the caller retries them. They never log or put the value in a message.
/// </summary>
internal interface ISecretReader
{
    Task<SecretKeyValue> ReadKeyAsync(string ns, string name, string key, CancellationToken ct);
}
