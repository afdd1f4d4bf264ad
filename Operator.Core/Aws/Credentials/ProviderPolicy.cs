using System.Text.RegularExpressions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Kubernetes;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The cluster admin's limits on what an AWSProvider may make the operator do, set by operator flags (tenants who
/// can write AWSProviders cannot change the operator's Deployment). <see cref="Check"/> refuses, with a
/// <see cref="ProviderCredentialsException"/> whose reason names the rule, a provider that would
/// <list type="bullet">
/// <item>send requests to a spec.endpoint outside <c>--allowed-endpoints</c> (default: only AWS's own ECS/STS
/// endpoints of the provider's region and partition, over https; the operator's own <c>--aws-endpoint</c> is always
/// allowed): <see cref="ProviderCredentialsReasons.EndpointNotAllowed"/>;</item>
/// <item>have the operator's own identity assume a role outside <c>--allowed-role-arns</c> for the provider's namespace
/// (spec.roleARN always; spec.assumeRoleARN when the base identity is the default chain; default: none):
/// <see cref="ProviderCredentialsReasons.RoleNotAllowed"/>;</item>
/// <item>run on the operator's own default chain (no static keys, no roles) in a namespace outside
/// <c>--default-credentials-namespaces</c> (default: none): <see cref="ProviderCredentialsReasons.DefaultCredentialsNotAllowed"/>.</item>
/// </list>
/// The check needs only the spec, so callers run it before reading any Secret and before any AWS call. A role
/// assumed with the tenant's own static keys, or chained on an allowed role, is the tenant's business and not
/// checked. Instances are immutable and thread-safe; <see cref="FromFlags"/> rejects malformed patterns at startup.
/// </summary>
internal sealed partial class ProviderPolicy
{
    public const string EndpointsFlag = "--allowed-endpoints";
    public const string RoleArnsFlag = "--allowed-role-arns";
    public const string DefaultCredentialsFlag = "--default-credentials-namespaces";

    private readonly IReadOnlyList<EndpointPattern> _endpoints;
    private readonly IReadOnlyList<RoleRule> _roles;
    private readonly IReadOnlySet<string> _namespaces;
    private readonly Uri? _operatorEndpoint;

    private ProviderPolicy(
        IReadOnlyList<EndpointPattern> endpoints, IReadOnlyList<RoleRule> roles, IReadOnlySet<string> namespaces,
        Uri? operatorEndpoint)
    {
        _endpoints = endpoints;
        _roles = roles;
        _namespaces = namespaces;
        _operatorEndpoint = operatorEndpoint;
    }

    /// <summary>Everything allowed: local mode, and unit tests that are not about the policy.</summary>
    public static ProviderPolicy AllowAll { get; } = FromFlags("*", "*", "*", null);

    /// <summary>
    /// Parses the comma-separated flag values. Endpoints: <c>host</c>, <c>host:port</c>, <c>*.domain[:port]</c> or
    /// <c>*</c> (a pattern without a port allows every port, http or https). Roles: <c>[namespace=]pattern</c>, where
    /// the optional namespace (a name, or <c>*</c> for all) scopes the entry to providers of that namespace (an entry
    /// without one applies to every namespace, as before scoping existed), and the pattern is an IAM role ARN glob
    /// (<c>*</c>, <c>?</c>; <c>{namespace}</c> stands for the provider's namespace), a 12-digit account ID (any role of
    /// that account in the <c>aws</c> partition), <c>partition:account</c> (e.g. <c>aws-cn:123456789012</c>) or
    /// <c>*</c>. Namespaces: names or <c>*</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A pattern is malformed (the message names the flag and the pattern).</exception>
    public static ProviderPolicy FromFlags(string? allowedEndpoints, string? allowedRoleArns, string? defaultCredentialsNamespaces,
        string? operatorEndpoint)
    {
        var eps = Split(allowedEndpoints).Select(EndpointPattern.Parse).ToList();
        var rs = Split(allowedRoleArns).Select(RoleRule.Parse).ToList();
        var nss = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ns in Split(defaultCredentialsNamespaces))
        {
            if (ns != "*" && !ObjectNames.IsDnsLabel(ns))
            {
                throw new ArgumentException($"{DefaultCredentialsFlag}: \"{ns}\" is neither a namespace name nor *");
            }

            nss.Add(ns);
        }

        Uri? own = string.IsNullOrWhiteSpace(operatorEndpoint) ? null
            : Uri.TryCreate(operatorEndpoint, UriKind.Absolute, out var u) ? u
            : throw new ArgumentException($"--aws-endpoint: \"{operatorEndpoint}\" is not an absolute URL");
        return new ProviderPolicy(eps, rs, nss, own);
    }

    /// <exception cref="ProviderCredentialsException">The provider is outside the policy.</exception>
    public void Check(string ns, AWSProviderSpec spec)
    {
        if (!string.IsNullOrEmpty(spec.Endpoint) && Uri.TryCreate(spec.Endpoint, UriKind.Absolute, out var endpoint)
            && !EndpointAllowed(endpoint, spec.Region))
        {
            var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
            throw new ProviderCredentialsException(ProviderCredentialsReasons.EndpointNotAllowed,
                $"spec.endpoint: host {host} is not an endpoint this operator may call; only AWS's own endpoints for " +
                $"region {spec.Region} are allowed unless an admin adds the host to the operator's {EndpointsFlag} flag");
        }

        var staticKeys = spec.AccessKeyIDRef is not null;
        if (!staticKeys && !string.IsNullOrEmpty(spec.RoleARN) && !RoleAllowed(spec.RoleARN, ns))
        {
            throw RoleRefused("spec.roleARN", spec.RoleARN, ns);
        }

        if (!staticKeys && string.IsNullOrEmpty(spec.RoleARN))
        {
            if (!string.IsNullOrEmpty(spec.AssumeRoleARN))
            {
                if (!RoleAllowed(spec.AssumeRoleARN, ns))
                {
                    throw RoleRefused("spec.assumeRoleARN (assumed with the operator's default credentials)", spec.AssumeRoleARN, ns);
                }
            }
            else if (!_namespaces.Contains("*") && !_namespaces.Contains(ns))
            {
                throw new ProviderCredentialsException(ProviderCredentialsReasons.DefaultCredentialsNotAllowed,
                    $"the provider sets no credentials (spec.accessKeyIDRef, spec.roleARN or spec.assumeRoleARN), so it " +
                    $"would use the operator's own identity, which namespace {ns} may not; set credentials, or an admin " +
                    $"adds {ns} to the operator's {DefaultCredentialsFlag} flag");
            }
        }
    }

    public bool EndpointAllowed(Uri endpoint, string region)
    {
        if (_operatorEndpoint is not null && Uri.Compare(endpoint, _operatorEndpoint,
                UriComponents.SchemeAndServer, UriFormat.SafeUnescaped, StringComparison.OrdinalIgnoreCase) == 0)
        {
            return true;
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }

        var host = (endpoint.HostNameType == UriHostNameType.IPv6 ? endpoint.Host : endpoint.IdnHost).TrimEnd('.').ToLowerInvariant();
        return _endpoints.Any(p => p.Matches(host, endpoint.Port))
            || (endpoint.Scheme == Uri.UriSchemeHttps && endpoint.Port == 443 && IsAwsEndpoint(host, region));
    }

    /// <summary>Whether a provider in namespace <paramref name="ns"/> may have the operator's own identity assume <paramref name="arn"/>.</summary>
    public bool RoleAllowed(string arn, string ns) => _roles.Any(r => r.Allows(arn, ns));

    // AWS's regional ECS and STS endpoints (and FIPS variants), the global STS endpoint, and interface VPC endpoints
    // of ECS or STS in the region. Other PrivateLink services (a tenant's own endpoint service) do not match.
    private static bool IsAwsEndpoint(string host, string region)
    {
        if (!AwsRegion().IsMatch(region))
        {
            return false;
        }

        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        foreach (var service in new[] { "ecs", "sts", "ecs-fips", "sts-fips" })
        {
            if (host == $"{service}.{region}.{suffix}")
            {
                return true;
            }
        }

        return (suffix == "amazonaws.com" && host == "sts.amazonaws.com")
            || (host.EndsWith($".{region}.vpce.{suffix}", StringComparison.Ordinal)
                && VpcEndpointPrefix().IsMatch(host[..^$".{region}.vpce.{suffix}".Length]));
    }

    private static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static ProviderCredentialsException RoleRefused(string field, string arn, string ns) =>
        new(ProviderCredentialsReasons.RoleNotAllowed,
            $"{field}: role {arn} may not be assumed with the operator's own identity for namespace {ns}; an admin " +
            $"allows it (or its account) for this namespace with an entry {ns}=<role ARN pattern> (or an unscoped " +
            $"pattern) in the operator's {RoleArnsFlag} flag");

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex AwsRegion();

    [GeneratedRegex("^vpce-[a-z0-9-]+\\.(ecs|sts)$")]
    private static partial Regex VpcEndpointPrefix();

    /// <summary>
    /// One --allowed-role-arns entry: <c>[namespace=]pattern</c> (see <see cref="FromFlags"/>). The account forms match
    /// only IAM role ARNs (<c>arn:partition:iam::account:role/…</c>) of their partition, so a bare account ID never
    /// matches the same digits in <c>aws-cn</c> or <c>aws-us-gov</c> (different accounts). In an ARN glob,
    /// <c>{namespace}</c> matches the provider's namespace literally.
    /// </summary>
    private sealed partial record RoleRule(string? Namespace, Func<string, string, bool> Matches)
    {
        public bool Allows(string arn, string ns) => (Namespace is null || Namespace == ns) && Matches(arn, ns);

        public static RoleRule Parse(string entry)
        {
            var scoped = Scoped().Match(entry);
            var ns = scoped.Success && scoped.Groups["ns"].Value != "*" ? scoped.Groups["ns"].Value : null;
            var pattern = scoped.Success ? scoped.Groups["pattern"].Value : entry;
            return new RoleRule(ns, Pattern(pattern, entry));
        }

        private static Func<string, string, bool> Pattern(string pattern, string entry)
        {
            if (pattern == "*")
            {
                return (_, _) => true;
            }

            if (Account().Match(pattern) is { Success: true } account)
            {
                var partition = account.Groups["partition"].Success ? account.Groups["partition"].Value : "aws";
                var id = account.Groups["id"].Value;
                return (arn, _) => arn.Split(':') is { Length: >= 6 } parts && parts[0] == "arn" && parts[1] == partition
                    && parts[2] == "iam" && parts[3].Length == 0 && parts[4] == id && parts[5].StartsWith("role/", StringComparison.Ordinal);
            }

            if (!pattern.StartsWith("arn:", StringComparison.Ordinal) || pattern.Split(':').Length < 6)
            {
                throw new ArgumentException(
                    $"{RoleArnsFlag}: \"{entry}\" is not [namespace=]pattern with a pattern that is an ARN, a 12-digit account ID, partition:account or *");
            }

            var glob = Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
            const string Placeholder = @"\{namespace}";
            if (!glob.Contains(Placeholder, StringComparison.Ordinal))
            {
                var regex = new Regex("^" + glob + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
                return (arn, _) => regex.IsMatch(arn);
            }
            return (arn, ns) => Regex.IsMatch(arn, "^" + glob.Replace(Placeholder, Regex.Escape(ns), StringComparison.Ordinal) + "$",
                RegexOptions.CultureInvariant | RegexOptions.Singleline);
        }

        [GeneratedRegex("^(?<ns>[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|\\*)=(?<pattern>.+)$")]
        private static partial Regex Scoped();

        [GeneratedRegex("^((?<partition>aws(-[a-z]+)*):)?(?<id>[0-9]{12})$")]
        private static partial Regex Account();
    }

    /// <summary>One --allowed-endpoints entry: a host (or <c>*.</c> suffix, or <c>*</c>) and an optional port.</summary>
    private sealed partial record EndpointPattern(string? Host, bool Wildcard, int? Port)
    {
        public static EndpointPattern Parse(string pattern)
        {
            if (pattern == "*")
            {
                return new EndpointPattern(null, false, null);
            }

            var m = Shape().Match(pattern.ToLowerInvariant());
            if (!m.Success)
            {
                throw new ArgumentException(
                    $"{EndpointsFlag}: \"{pattern}\" is not host, host:port, *.domain[:port] or * (no scheme, no path)");
            }

            int? port = m.Groups["port"].Success ? int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
            if (port is < 1 or > 65535)
            {
                throw new ArgumentException($"{EndpointsFlag}: \"{pattern}\" has an invalid port");
            }

            return new EndpointPattern(m.Groups["host"].Value.TrimEnd('.'), m.Groups["wild"].Success, port);
        }

        public bool Matches(string host, int port) =>
            (Port is null || Port == port)
            && (Host is null || (Wildcard ? host.EndsWith("." + Host, StringComparison.Ordinal) : host == Host));

        [GeneratedRegex(@"^(?<wild>\*\.)?(?<host>[a-z0-9]([-a-z0-9.]*[a-z0-9])?|\[[0-9a-f:.]+\])(:(?<port>[0-9]{1,5}))?$")]
        private static partial Regex Shape();
    }
}
