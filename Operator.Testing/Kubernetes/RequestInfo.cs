namespace Operator.Testing.Kubernetes;

/// <summary>A request URL decomposed the way the apiserver's RequestInfoFactory does.</summary>
internal sealed record RequestInfo(
    bool IsResourceRequest,
    string Path,
    string Verb,
    string Group,
    string Version,
    string Resource,
    string Subresource,
    string? Namespace,
    string? Name,
    string[] Segments)
{
    public string NamespaceOrEmpty => Namespace ?? "";

    /// <summary>
    /// /api/v1/... and /apis/{g}/{v}/... are resource requests; "namespaces/{ns}/{resource}" is namespaced only
    /// when {resource} is a namespaced resource of that group/version, else it is a subresource of a Namespace.
    /// </summary>
    public static RequestInfo Parse(string method, string path, bool watch, Func<string, string, string, bool> isNamespacedResource)
    {
        var segs = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        string[] rest;
        if (segs.Length >= 2 && segs[0] == "api")
        {
            (group, version, rest) = ("", segs[1], segs[2..]);
        }
        else if (segs.Length >= 3 && segs[0] == "apis")
        {
            (group, version, rest) = (segs[1], segs[2], segs[3..]);
        }
        else
        {
            return new RequestInfo(false, path, method == "GET" ? "get" : method.ToLowerInvariant(), "", "", "", "", null, null, segs);
        }

        if (rest.Length == 0)
        {
            return new RequestInfo(false, path, "get", group, version, "", "", null, null, segs);
        }

        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length >= 3 && isNamespacedResource(group, version, rest[2]))
        {
            ns = rest[1];
            rest = rest[2..];
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : null;
        var sub = rest.Length > 2 ? string.Join('/', rest[2..]) : "";
        var verb = method switch
        {
            "GET" or "HEAD" => watch ? "watch" : name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };
        return new RequestInfo(true, path, verb, group, version, resource, sub, ns, name, segs);
    }
}
