using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Builds STS clients for one provider's region and optional endpoint override. The override goes into
/// <see cref="Amazon.Runtime.ClientConfig.ServiceURL"/> with the region kept as the signing region, which is what
/// LocalStack, moto and VPC endpoints expect.
/// </summary>
internal sealed class StsClientFactory(StsClientOptions options, Resilience.AwsApiTelemetry? telemetry = null)
{
    private readonly StsTelemetryHttpClientFactory? _httpClients = telemetry is null ? null : new(telemetry);

    public StsClientOptions Options => options;

    public AmazonSecurityTokenServiceConfig CreateConfig(string region, string? endpoint)
    {
        var config = new AmazonSecurityTokenServiceConfig
        {
            ConnectTimeout = options.ConnectTimeout,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = options.MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
        };
        if (_httpClients is not null)
        {
            config.HttpClientFactory = _httpClients; // counts STS attempts in aws_api_requests_total{service="sts"}
        }
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

    /// <summary>A client signing with <paramref name="credentials"/>; null for unsigned calls (AssumeRoleWithWebIdentity).</summary>
    public AmazonSecurityTokenServiceClient Create(AWSCredentials? credentials, string region, string? endpoint)
    {
        var config = CreateConfig(region, endpoint);
        return credentials is null
            ? new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config)
            : new AmazonSecurityTokenServiceClient(credentials, config);
    }
}
