using System.Text;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The RoleSessionName for a provider: "infra-operator-&lt;namespace&gt;-&lt;name&gt;", reduced to STS's charset
/// [\w+=,.@-] and 2–64 characters, so CloudTrail shows which provider assumed a role.
/// </summary>
internal static class RoleSessionName
{
    public const int MaxLength = 64;

    public static string For(string? ns, string name)
    {
        var raw = $"infra-operator-{ns}-{name}";
        var sb = new StringBuilder(Math.Min(raw.Length, MaxLength));
        foreach (var c in raw)
        {
            if (sb.Length == MaxLength)
            {
                break;
            }

            sb.Append(char.IsAsciiLetterOrDigit(c) || "_+=,.@-".Contains(c) ? c : '-');
        }

        return sb.ToString();
    }
}
