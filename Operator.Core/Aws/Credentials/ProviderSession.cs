using Amazon.Runtime;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// What an AWS client needs to act for one AWSProvider. <see cref="Credentials"/> may be refreshing (assumed roles):
/// resolve them per request, never copy the keys out. <see cref="Version"/> changes whenever an input of the
/// credentials changes (provider uid or generation, a referenced Secret's resourceVersion, the identity source), so
/// callers can key their own per-provider clients on it. <see cref="Source"/> describes the chain for status and logs.
/// <see cref="ToString"/> names the credentials' type only, so a session is safe to log.
/// </summary>
internal sealed record ProviderSession(
    string ProviderKey, AWSCredentials Credentials, string Region, string? Endpoint, string Version, string Source)
{
    public override string ToString() =>
        $"ProviderSession {{ ProviderKey = {ProviderKey}, Credentials = {Credentials.GetType().Name}, Region = {Region}, " +
        $"Endpoint = {Endpoint}, Version = {Version}, Source = {Source} }}";
}
