using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Operator.Core.Aws.Http;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Builds STS clients for one provider's region and optional endpoint override. The override goes into
/// <see cref="Amazon.Runtime.ClientConfig.ServiceURL"/> with the region kept as the signing region, which is what
/// LocalStack, moto and VPC endpoints expect. Every client sends through its provider's own connection pool
/// (<see cref="AwsHttpPools"/>: no connection shared with another provider, no redirect, bounded answers); without a
/// registry given, the factory keeps one of its own (tests).
/// </summary>
internal sealed class StsClientFactory
{
    private readonly AwsHttpPools _pools;

    public StsClientFactory(StsClientOptions options, AwsHttpPools? pools = null)
    {
        Options = options;
        _pools = pools ?? new AwsHttpPools(new AwsHttpOptions { ConnectTimeout = options.ConnectTimeout }, TimeProvider.System,
            handler => StsHttpClients.Create(handler, null, options.RequestTimeout));
    }

    public StsClientOptions Options { get; }

    public AmazonSecurityTokenServiceConfig CreateConfig(string providerKey, string region, string? endpoint)
    {
        var config = new AmazonSecurityTokenServiceConfig
        {
            ConnectTimeout = Options.ConnectTimeout,
            Timeout = Options.RequestTimeout,
            MaxErrorRetry = Options.MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
            HttpClientFactory = StsHttpClients.For(_pools.For(providerKey, endpoint)),
        };
        if (string.IsNullOrEmpty(endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }

        return config;
    }

    /// <summary>A client for provider <paramref name="providerKey"/> ("namespace/name") signing with
    /// <paramref name="credentials"/>; null for unsigned calls (AssumeRoleWithWebIdentity).</summary>
    public AmazonSecurityTokenServiceClient Create(string providerKey, AWSCredentials? credentials, string region, string? endpoint)
    {
        var config = CreateConfig(providerKey, region, endpoint);
        return credentials is null
            ? new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config)
            : new AmazonSecurityTokenServiceClient(credentials, config);
    }
}
