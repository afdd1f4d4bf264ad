using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Amazon.Util.Internal;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// AssumeRoleWithWebIdentity with the pod's projected token (IRSA), through an STS client that honours the
/// provider's endpoint override (the SDK's AssumeRoleWithWebIdentityCredentials cannot take one). The token file is
/// re-read on every renewal because the kubelet rotates it.
/// </summary>
internal sealed class WebIdentityRoleCredentials(
    AmazonSecurityTokenServiceClient sts, string roleArn, string sessionName, string tokenFile, string? endpoint,
    StsClientOptions options, ITimeProvider clock)
    : StsRoleCredentials(sts, roleArn, sessionName, endpoint, options, clock)
{
    public string TokenFile { get; } = tokenFile;

    protected override string Operation => "AssumeRoleWithWebIdentity";

    protected override async Task<StsCredentials> AssumeAsync(CancellationToken ct)
    {
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(TokenFile, ct).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.WebIdentityTokenMissing,
                $"cannot read the web identity token file {TokenFile} ({e.GetType().Name})");
        }

        if (token.Length == 0)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.WebIdentityTokenMissing,
                $"the web identity token file {TokenFile} is empty");
        }

        var response = await Sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = RoleArn,
            RoleSessionName = SessionName,
            WebIdentityToken = token,
            DurationSeconds = (int)Options.SessionDuration.TotalSeconds,
        }, ct).ConfigureAwait(false);
        return response.Credentials;
    }
}
