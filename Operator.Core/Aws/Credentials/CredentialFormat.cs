namespace Operator.Core.Aws.Credentials;

/// <summary>
/// What AWS credential values may look like, checked before a value signs or goes into any request: a value read
/// from a tenant's Secret, or returned by an STS endpoint the tenant named, is text of their choice, and the access
/// key ID and the session token are sent as header values. Sets (after the surrounding whitespace a Secret often
/// carries is trimmed):
/// <list type="bullet">
/// <item>access key ID: letters, digits, <c>_ - .</c>, 1-128 characters (AWS's own are 16-128 upper-case letters and
/// digits; emulators such as LocalStack and moto take short test keys like the user guide's <c>test</c>);</item>
/// <item>secret access key: letters, digits, <c>+ / = _ - .</c>, 1-128 characters (AWS's own are 40 base64 characters);</item>
/// <item>session token: letters, digits, <c>+ / = _ - .</c>, 1-16,384 characters (AWS's own are base64 of a few
/// hundred to a few thousand characters; STS does not fix their size).</item>
/// </list>
/// <see cref="Problem"/> describes a value outside its set without ever repeating it (no character, no length).
/// </summary>
internal static class CredentialFormat
{
    public const int MaxKeyLength = 128;
    public const int MaxSessionTokenLength = 16 * 1024;

    public enum Part
    {
        AccessKeyId,
        SecretAccessKey,
        SessionToken,
    }

    /// <summary>Why <paramref name="value"/> is not a well-formed credential of its part, or null when it is.</summary>
    public static string? Problem(Part part, string? value)
    {
        var (what, allowed, max) = Rule(part);
        if (string.IsNullOrEmpty(value))
        {
            return "is empty";
        }
        if (value.Length > max)
        {
            return $"is longer than the {max} characters an AWS {what} may have";
        }
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return "contains a control character (a line break, tab or the like) inside the value";
            }
            if (!char.IsAsciiLetterOrDigit(c) && !allowed.Contains(c, StringComparison.Ordinal))
            {
                return $"contains a character that an AWS {what} never has (allowed: letters, digits and {Spaced(allowed)})";
            }
        }
        return null;
    }

    private static (string What, string Allowed, int Max) Rule(Part part) => part switch
    {
        Part.AccessKeyId => ("access key ID", "_-.", MaxKeyLength),
        Part.SecretAccessKey => ("secret access key", "+/=_-.", MaxKeyLength),
        _ => ("session token", "+/=_-.", MaxSessionTokenLength),
    };

    private static string Spaced(string chars) => string.Join(' ', chars.ToCharArray());
}
