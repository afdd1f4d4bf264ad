namespace Operator.Testing.Kubernetes.Authorization;

/// <summary>The user a request is authenticated as: a name and groups, as the apiserver's <c>user.Info</c>.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string Masters = "system:masters";

    /// <summary>The emulator's administrator (the client of <see cref="KubeApiEmulator.CreateClient()"/>).</summary>
    public static UserInfo Admin { get; } = new("admin", [Masters, "system:authenticated"]);

    /// <summary>A request without credentials, as the real server's anonymous authenticator names it.</summary>
    public static UserInfo Anonymous { get; } = new("system:anonymous", ["system:unauthenticated"]);

    /// <summary>Members of system:masters pass every authorization check, as on a real server.</summary>
    public bool IsMaster => Groups.Contains(Masters);

    public bool IsAuthenticated => Groups.Contains("system:authenticated");

    /// <summary>A ServiceAccount's user: <c>system:serviceaccount:ns:name</c> with its three groups.</summary>
    public static UserInfo ServiceAccount(string @namespace, string name) => new(
        $"system:serviceaccount:{@namespace}:{name}",
        ["system:serviceaccounts", $"system:serviceaccounts:{@namespace}", "system:authenticated"]);
}
