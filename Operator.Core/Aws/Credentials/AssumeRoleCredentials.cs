using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Amazon.Util.Internal;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// sts:AssumeRole signed with base credentials (the STS client's), optionally with an external ID, through an STS
/// client that honours the provider's endpoint override.
/// </summary>
internal sealed class AssumeRoleCredentials(
    AmazonSecurityTokenServiceClient sts, string roleArn, string sessionName, string? externalId, string? endpoint,
    StsClientOptions options, ITimeProvider clock)
    : StsRoleCredentials(sts, roleArn, sessionName, endpoint, options, clock)
{
    protected override string Operation => "AssumeRole";

    protected override async Task<StsCredentials> AssumeAsync(CancellationToken ct)
    {
        var response = await Sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = RoleArn,
            RoleSessionName = SessionName,
            ExternalId = string.IsNullOrEmpty(externalId) ? null : externalId,
            DurationSeconds = (int)Options.SessionDuration.TotalSeconds,
        }, ct).ConfigureAwait(false);
        return response.Credentials;
    }
}
