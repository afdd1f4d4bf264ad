namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The process environment as the credential sources see it, injectable so tests can fake IRSA's token file and the
/// default chain. The host builds it from its configuration (the AWS_* variables) and the real file system.
/// </summary>
internal sealed record AwsEnvironment(Func<string, string?> GetVariable, Func<string, bool> FileExists)
{
    /// <summary>Set by the EKS pod identity webhook (IRSA) to the projected service-account token.</summary>
    public const string WebIdentityTokenFileVariable = "AWS_WEB_IDENTITY_TOKEN_FILE";

    /// <summary>The web identity token file when the variable is set and the file exists, else null.</summary>
    public string? WebIdentityTokenFile
    {
        get
        {
            var path = GetVariable(WebIdentityTokenFileVariable);
            return !string.IsNullOrWhiteSpace(path) && FileExists(path) ? path : null;
        }
    }
}
