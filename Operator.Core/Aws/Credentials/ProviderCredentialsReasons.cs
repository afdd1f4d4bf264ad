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

    /// <summary>The endpoint answered with a redirect, which the operator never follows (<see cref="Http.AwsHttpGuard"/>).</summary>
    public const string RedirectRefused = nameof(RedirectRefused);

    /// <summary>The endpoint's answer was larger than <c>--aws-max-response-bytes</c> (<see cref="Http.AwsHttpGuard"/>).</summary>
    public const string ResponseTooLarge = nameof(ResponseTooLarge);

    /// <summary>The reason a refusal of the HTTP layer is reported with: a header with a control character can only
    /// come from credentials (the only values in AWS requests that are not the operator's own).</summary>
    public static string Of(Http.AwsHttpRefusal refusal) => refusal switch
    {
        Http.AwsHttpRefusal.Redirect => RedirectRefused,
        Http.AwsHttpRefusal.ResponseTooLarge => ResponseTooLarge,
        _ => InvalidCredentials,
    };
}
