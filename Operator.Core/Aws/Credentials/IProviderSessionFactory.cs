using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Turns an AWSProvider into a fresh <see cref="ProviderSession"/>. Reads the referenced Secrets but makes no AWS
/// call: assumed roles are assumed on first use of the credentials. Throws <see cref="ProviderCredentialsException"/>
/// for spec and Secret problems.
/// </summary>
internal interface IProviderSessionFactory
{
    Task<ProviderSession> CreateAsync(AWSProvider provider, CancellationToken ct);
}
