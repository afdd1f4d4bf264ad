using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Kubernetes;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Builds a provider's credentials chain. The base identity is, in this order of precedence: static keys from
/// Secrets (accessKeyIDRef + secretAccessKeyRef, optional sessionTokenRef); roleARN assumed with the pod's web
/// identity token (IRSA) when AWS_WEB_IDENTITY_TOKEN_FILE names an existing file, otherwise with AssumeRole from the
/// default chain; or the default chain itself. assumeRoleARN (+ externalID) is then assumed on top of the base.
/// Every STS call goes to spec.endpoint when set, else to <see cref="StsClientOptions.DefaultEndpoint"/> when set.
/// Before anything is read or called, the spec is re-checked against the CRD's rules (an object may predate them;
/// Secret references must be plain names, so they can only address Secrets of the provider's own namespace) and
/// against the admin's <see cref="ProviderPolicy"/>; a refusal throws <see cref="ProviderCredentialsException"/>
/// without reading a Secret or calling AWS.
/// </summary>
internal sealed partial class AwsCredentialsFactory(
    ISecretReader secrets,
    StsClientFactory sts,
    AwsEnvironment environment,
    Func<AWSCredentials> defaultChain,
    ProviderPolicy policy,
    TimeProvider time,
    ILogger<AwsCredentialsFactory> logger) : IProviderSessionFactory
{

    public async Task<ProviderSession> CreateAsync(AWSProvider provider, CancellationToken ct)
    {
        var ns = provider.Metadata.NamespaceProperty ?? "";
        var name = provider.Metadata.Name;
        var key = ObjectKey.Of(ns, name);
        var spec = provider.Spec;
        Validate(spec);
        policy.Check(ns, spec);
        var endpoint = string.IsNullOrEmpty(spec.Endpoint) ? sts.Options.DefaultEndpoint : spec.Endpoint;

        var clock = new SdkTimeProvider(time);
        var sessionName = RoleSessionName.For(ns, name);
        var versionInputs = new List<string>
        {
            $"uid={provider.Metadata.Uid}", $"generation={provider.Metadata.Generation}",
        };

        AWSCredentials credentials;
        string source;
        if (spec.AccessKeyIDRef is not null && spec.SecretAccessKeyRef is not null)
        {
            var accessKey = await ReadAsync(ns, spec.AccessKeyIDRef, "spec.accessKeyIDRef", CredentialFormat.Part.AccessKeyId, versionInputs, ct)
                .ConfigureAwait(false);
            var secretKey = await ReadAsync(ns, spec.SecretAccessKeyRef, "spec.secretAccessKeyRef", CredentialFormat.Part.SecretAccessKey, versionInputs, ct)
                .ConfigureAwait(false);
            if (spec.SessionTokenRef is not null)
            {
                var token = await ReadAsync(ns, spec.SessionTokenRef, "spec.sessionTokenRef", CredentialFormat.Part.SessionToken, versionInputs, ct)
                    .ConfigureAwait(false);
                credentials = new SessionAWSCredentials(accessKey, secretKey, token);
                source = "static session credentials";
            }
            else
            {
                credentials = new BasicAWSCredentials(accessKey, secretKey);
                source = "static credentials";
            }
        }
        else if (!string.IsNullOrEmpty(spec.RoleARN))
        {
            if (environment.WebIdentityTokenFile is { } tokenFile)
            {
                credentials = new WebIdentityRoleCredentials(
                    sts.Create(key, null, spec.Region, endpoint), spec.RoleARN, sessionName, tokenFile, endpoint,
                    sts.Options, clock);
                source = "roleARN via web identity";
                versionInputs.Add($"webIdentity={tokenFile}");
            }
            else
            {
                credentials = new AssumeRoleCredentials(
                    sts.Create(key, defaultChain(), spec.Region, endpoint), spec.RoleARN, sessionName, null,
                    endpoint, sts.Options, clock);
                source = "roleARN via default chain";
                versionInputs.Add("webIdentity=");
            }
        }
        else
        {
            credentials = defaultChain();
            source = "default chain";
        }

        if (!string.IsNullOrEmpty(spec.AssumeRoleARN))
        {
            credentials = new AssumeRoleCredentials(
                sts.Create(key, credentials, spec.Region, endpoint), spec.AssumeRoleARN, sessionName, spec.ExternalID,
                endpoint, sts.Options, clock);
            source += " + assumeRoleARN";
        }

        var version = Hash(versionInputs);
        logger.LogDebug("Built credentials for provider {Provider}: {Source}, version {Version}", key, source, version);
        return new ProviderSession(key, credentials, spec.Region, string.IsNullOrEmpty(endpoint) ? null : endpoint,
            version, source);
    }

    /// <summary>One credential from its Secret, trimmed and checked against its format (<see cref="CredentialFormat"/>):
    /// a malformed value is refused here, naming the field, the Secret and the key, so it never signs or reaches a
    /// request.</summary>
    private async Task<string> ReadAsync(
        string ns, SecretKeyReference reference, string field, CredentialFormat.Part part, List<string> versionInputs, CancellationToken ct)
    {
        var value = await secrets.ReadKeyAsync(ns, reference.Name, reference.Key, ct).ConfigureAwait(false);
        versionInputs.Add($"{field}={reference.Name}/{reference.Key}@{value.ResourceVersion}");

        // Secrets written with `echo` or from files often end in a newline; AWS keys never contain whitespace.
        var trimmed = value.Value.Trim();
        if (CredentialFormat.Problem(part, trimmed) is { } problem)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.InvalidCredentials,
                $"{field}: key \"{reference.Key}\" of Secret {ns}/{reference.Name} {problem}; nothing was sent to AWS");
        }

        return trimmed;
    }

    private static void Validate(AWSProviderSpec spec)
    {
        string? problem = null;
        if (string.IsNullOrWhiteSpace(spec.Region))
        {
            problem = "spec.region is required";
        }
        else if (!AwsRegion().IsMatch(spec.Region))
        {
            problem = "spec.region must look like an AWS region (e.g. us-east-1)";
        }
        else if (InvalidReference(spec) is { } reference)
        {
            problem = reference;
        }
        else if ((spec.AccessKeyIDRef is null) != (spec.SecretAccessKeyRef is null))
        {
            problem = "spec.accessKeyIDRef and spec.secretAccessKeyRef must be set together";
        }
        else if (spec.SessionTokenRef is not null && spec.AccessKeyIDRef is null)
        {
            problem = "spec.sessionTokenRef requires spec.accessKeyIDRef and spec.secretAccessKeyRef";
        }
        else if (!string.IsNullOrEmpty(spec.RoleARN) && spec.AccessKeyIDRef is not null)
        {
            problem = "spec.roleARN and static credentials (spec.accessKeyIDRef) are mutually exclusive";
        }
        else if (!string.IsNullOrEmpty(spec.ExternalID) && string.IsNullOrEmpty(spec.AssumeRoleARN))
        {
            problem = "spec.externalID requires spec.assumeRoleARN";
        }
        else if (!string.IsNullOrEmpty(spec.Endpoint) && !IsHttpUrl(spec.Endpoint))
        {
            problem = "spec.endpoint must be an absolute http(s) URL";
        }

        if (problem is not null)
        {
            throw new ProviderCredentialsException(ProviderCredentialsReasons.InvalidSpec, problem);
        }
    }

    // The names go into an API request path: only a DNS subdomain cannot address another namespace or resource.
    private static string? InvalidReference(AWSProviderSpec spec)
    {
        foreach (var (field, reference) in new[]
                 {
                     ("spec.accessKeyIDRef", spec.AccessKeyIDRef), ("spec.secretAccessKeyRef", spec.SecretAccessKeyRef),
                     ("spec.sessionTokenRef", spec.SessionTokenRef),
                 })
        {
            if (reference is null)
            {
                continue;
            }

            if (!ObjectNames.IsDnsSubdomain(reference.Name))
            {
                return $"{field}.name must be the name of a Secret in the provider's namespace: a DNS-1123 subdomain " +
                    "(lower-case letters, digits, '-' and '.', at most 253 characters), never a path";
            }

            if (!ObjectNames.IsDataKey(reference.Key))
            {
                return $"{field}.key must be a Secret data key (letters, digits, '-', '_' and '.', at most 253 " +
                    "characters, not '.', '..' or starting with '..')";
            }
        }

        return null;
    }

    private static bool IsHttpUrl(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static string Hash(IEnumerable<string> inputs)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", inputs)));
        return Convert.ToHexStringLower(bytes.AsSpan(0, 8));
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex AwsRegion();
}
