using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging;

namespace Operator.Core.Aws.Credentials;

/// <inheritdoc cref="IIdentityChecker"/>
/// <remarks>The call is bounded by <see cref="StsClientOptions.CallTimeout"/>; running out of it is reported as
/// <see cref="ProviderCredentialsReasons.EndpointUnreachable"/>.</remarks>
internal sealed class IdentityChecker(StsClientFactory sts, ILogger<IdentityChecker> logger) : IIdentityChecker
{
    public async Task<CallerIdentity> GetCallerIdentityAsync(ProviderSession session, CancellationToken ct)
    {
        using var client = sts.Create(session.ProviderKey, session.Credentials, session.Region, session.Endpoint);
        using var limit = sts.Options.LimitCall(ct);
        try
        {
            var response = await client.GetCallerIdentityAsync(new GetCallerIdentityRequest(), limit.Token).ConfigureAwait(false);
            logger.LogDebug("Provider {Provider} authenticated as {Arn}", session.ProviderKey, response.Arn);
            return new CallerIdentity(response.Account, response.Arn, response.UserId);
        }
        catch (Exception e) when (StsErrors.Map(e, "GetCallerIdentity", session.Endpoint, ct) is { } mapped)
        {
            logger.LogInformation("Provider {Provider} did not authenticate: {Reason}: {Message}",
                session.ProviderKey, mapped.Reason, mapped.Message);
            throw mapped;
        }
    }
}
