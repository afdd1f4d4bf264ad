namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Authenticates a session with STS GetCallerIdentity. Credentials problems and unreachable endpoints throw
/// <see cref="ProviderCredentialsException"/>; cancellation by the caller's token throws
/// <see cref="OperationCanceledException"/>; anything else (throttling, 5xx) throws the SDK's exception.
/// </summary>
internal interface IIdentityChecker
{
    Task<CallerIdentity> GetCallerIdentityAsync(ProviderSession session, CancellationToken ct);
}
