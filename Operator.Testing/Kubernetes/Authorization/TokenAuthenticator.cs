using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Operator.Testing.Kubernetes.Authorization;

/// <summary>
/// Bearer tokens to users. The admin token (<see cref="AdminToken"/>) is <see cref="UserInfo.Admin"/>; tokens from
/// <see cref="IssueServiceAccount"/> are their ServiceAccount for as long as it exists with the same uid (a token of a
/// deleted ServiceAccount is refused, as the real server refuses it); tokens from <see cref="IssueUser"/> are that
/// user. What any other request is depends on enforcement: with RBAC off, an unknown token or none is the admin, as
/// the emulator always was; with RBAC on, no token is <see cref="UserInfo.Anonymous"/> and an unknown token is a 401.
/// Thread-safe.
/// </summary>
internal sealed class TokenAuthenticator(string? adminToken = null)
{
    private readonly ConcurrentDictionary<string, Issued> _tokens = new(StringComparer.Ordinal);

    /// <summary>The given admin token (a kubeconfig that must stay the same across restarts), else a new random one.</summary>
    public string AdminToken { get; } = adminToken ?? NewToken("admin");

    public string IssueUser(UserInfo user)
    {
        var token = NewToken("user");
        _tokens[token] = new Issued(user, null, null, null);
        return token;
    }

    public string IssueServiceAccount(string @namespace, string name, string uid)
    {
        var token = NewToken("sa");
        _tokens[token] = new Issued(UserInfo.ServiceAccount(@namespace, name), @namespace, name, uid);
        return token;
    }

    /// <summary>
    /// The user of an Authorization header, or null when it must be refused with 401.
    /// <paramref name="serviceAccountUid"/> answers the uid of a stored ServiceAccount (null when there is none).
    /// </summary>
    public UserInfo? Authenticate(string? authorization, bool enforce, Func<string, string, string?> serviceAccountUid)
    {
        var token = authorization is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : null;
        if (token is null)
        {
            return enforce ? UserInfo.Anonymous : UserInfo.Admin;
        }

        if (token == AdminToken)
        {
            return UserInfo.Admin;
        }

        if (_tokens.TryGetValue(token, out var issued))
        {
            if (issued.Namespace is null)
            {
                return issued.User;
            }

            return serviceAccountUid(issued.Namespace, issued.Name!) == issued.Uid ? issued.User : null;
        }

        return enforce ? null : UserInfo.Admin;
    }

    private static string NewToken(string kind) => $"emulator-{kind}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";

    private sealed record Issued(UserInfo User, string? Namespace, string? Name, string? Uid);
}
