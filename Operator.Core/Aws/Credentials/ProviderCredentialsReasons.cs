namespace Operator.Core.Aws.Credentials;

/// <summary>The reason codes of <see cref="ProviderCredentialsException"/> (CamelCase, usable as condition reasons).</summary>
internal static class ProviderCredentialsReasons
{
    public const string SecretNotFound = nameof(SecretNotFound);
    public const string SecretKeyNotFound = nameof(SecretKeyNotFound);

    /// <summary>The API server refused to give the operator the Secret (403): its RBAC does not cover it.</summary>
    public const string SecretForbidden = nameof(SecretForbidden);

    /// <summary>The API server answered reading a Secret with an error other than 403 or 404.</summary>
    public const string SecretUnreadable = nameof(SecretUnreadable);

    public const string InvalidCredentials = nameof(InvalidCredentials);
    public const string AccessDenied = nameof(AccessDenied);
    public const string EndpointUnreachable = nameof(EndpointUnreachable);
    public const string WebIdentityTokenMissing = nameof(WebIdentityTokenMissing);
    public const string InvalidSpec = nameof(InvalidSpec);

    /// <summary>spec.endpoint is not in the operator's --allowed-endpoints (nor one of AWS's own for the region).</summary>
    public const string EndpointNotAllowed = nameof(EndpointNotAllowed);

    /// <summary>A role the operator's own identity would assume is not in --allowed-role-arns.</summary>
    public const string RoleNotAllowed = nameof(RoleNotAllowed);

    /// <summary>The provider would run on the operator's own default chain outside --default-credentials-namespaces.</summary>
    public const string DefaultCredentialsNotAllowed = nameof(DefaultCredentialsNotAllowed);
}
