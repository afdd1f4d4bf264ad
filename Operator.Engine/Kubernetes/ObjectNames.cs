using System.Text.RegularExpressions;

namespace Operator.Core.Kubernetes;

/// <summary>
/// The API server's own name rules, checked before a user-supplied string becomes part of a request path: a value
/// that passes can never be read as a path segment other than the one it stands for ("." "..", "/", "%" and upper
/// case all fail). The patterns equal the CRD's, so an object admitted today passes, and one that predates the rule
/// is caught here.
/// </summary>
internal static partial class ObjectNames
{
    /// <summary>A DNS-1123 subdomain (Secret, ConfigMap and most object names): at most 253 characters.</summary>
    public static bool IsDnsSubdomain(string? value) => value is { Length: > 0 and <= 253 } && DnsSubdomain().IsMatch(value);

    /// <summary>A DNS-1123 label (namespace names): at most 63 characters.</summary>
    public static bool IsDnsLabel(string? value) => value is { Length: > 0 and <= 63 } && DnsLabel().IsMatch(value);

    /// <summary>A Secret/ConfigMap data key: letters, digits, '-', '_', '.'; not ".", ".." or starting with "..".</summary>
    public static bool IsDataKey(string? value) => value is { Length: > 0 and <= 253 } && DataKey().IsMatch(value);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^\.?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex DataKey();
}
