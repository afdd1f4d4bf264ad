using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Operator.Core.Aws.Sts;

/// <summary>
/// Creates AWSSDK.SecurityToken clients that honour an AWSProvider's endpoint override (moto, LocalStack, the
/// in-repo emulator): with an endpoint, STS is reached at that URL and signed for <c>region</c>; without, the
/// regional STS endpoint is used. SDK retries are left on (STS is called rarely, outside the ECS pipeline).
/// </summary>
internal static class StsClientFactory
{
    public static AmazonSecurityTokenServiceClient Create(AWSCredentials credentials, string region, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        var config = new AmazonSecurityTokenServiceConfig();
        if (endpoint is null)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region;
        }

        return new AmazonSecurityTokenServiceClient(credentials, config);
    }

    /// <summary>Who the credentials belong to: account id, ARN and user id (validates the credentials).</summary>
    public static async Task<GetCallerIdentityResponse> GetCallerIdentityAsync(AWSCredentials credentials, string region, Uri? endpoint, CancellationToken cancellationToken = default)
    {
        using var sts = Create(credentials, region, endpoint);
        return await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest(), cancellationToken).ConfigureAwait(false);
    }
}
