using Operator.Core.Kubernetes;

namespace Operator.Core.Status;

/// <summary>
/// What a tenant may learn of other tenants' objects from the conditions and Events the operator writes on its own
/// objects (which anyone who can read those objects sees): another object is named only when it is in the viewer's own
/// namespace; one in another namespace is described without its namespace or name. Operator logs, which tenants do
/// not read, may name anything.
/// </summary>
internal static class TenantView
{
    /// <summary>True when <paramref name="key"/> ("namespace/name") is an object of <paramref name="viewerNamespace"/>.</summary>
    public static bool IsOwn(string? viewerNamespace, string? key) =>
        key is not null && viewerNamespace is not null && key.StartsWith(viewerNamespace + "/", StringComparison.Ordinal)
        && key.IndexOf('/', viewerNamespace.Length + 1) < 0;

    /// <summary><paramref name="kind"/> and the key of an object of the viewer's namespace; otherwise
    /// "<paramref name="kind"/> in another namespace", naming neither.</summary>
    public static string Describe(string? viewerNamespace, string kind, string? key) =>
        IsOwn(viewerNamespace, key) ? $"{kind} {key}" : $"an {kind} in another namespace";

    /// <summary>The key of an object as a tenant of <paramref name="viewerNamespace"/> may see it.</summary>
    public static string Key(string? viewerNamespace, string key) => IsOwn(viewerNamespace, key) ? key : "(another namespace)";

    /// <summary>The key of <paramref name="ns"/>/<paramref name="name"/> as a tenant of <paramref name="viewerNamespace"/> may see it.</summary>
    public static string Key(string? viewerNamespace, string ns, string name) => Key(viewerNamespace, ObjectKey.Of(ns, name));
}
