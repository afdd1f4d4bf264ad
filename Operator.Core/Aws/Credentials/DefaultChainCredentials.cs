using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The operator's own default credential chain (environment, profile, container and instance metadata, IRSA
/// variables), resolved on first use rather than when the session is built, because the chain may probe instance
/// metadata for seconds. The SDK caches the resolution; each use asks the resolved (possibly refreshing)
/// credentials again. Finding nothing surfaces as <see cref="ProviderCredentialsReasons.InvalidCredentials"/>.
/// </summary>
internal sealed class DefaultChainCredentials(Func<Task<AWSCredentials>> resolve) : AWSCredentials
{
    public static DefaultChainCredentials FromSdk() =>
        new(() => DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(null));

    public override ImmutableCredentials GetCredentials() => GetCredentialsAsync().GetAwaiter().GetResult();

    public override async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        AWSCredentials resolved;
        try
        {
            resolved = await resolve().ConfigureAwait(false);
        }
        catch (AmazonClientException e)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.InvalidCredentials,
                "no AWS credentials found in the operator's default chain (environment, profile, container or " +
                "instance metadata)", e);
        }

        return await resolved.GetCredentialsAsync().ConfigureAwait(false);
    }
}
