namespace Operator.Core.Aws.Credentials;

/// <summary>The reason codes of <see cref="ProviderCredentialsException"/> (CamelCase, usable as condition reasons).</summary>
internal static class ProviderCredentialsReasons
{
    public const string SecretNotFound = nameof(SecretNotFound);
    public const string SecretKeyNotFound = nameof(SecretKeyNotFound);
    public const string InvalidCredentials = nameof(InvalidCredentials);
    public const string AccessDenied = nameof(AccessDenied);
    public const string EndpointUnreachable = nameof(EndpointUnreachable);
    public const string WebIdentityTokenMissing = nameof(WebIdentityTokenMissing);
    public const string InvalidSpec = nameof(InvalidSpec);
}
