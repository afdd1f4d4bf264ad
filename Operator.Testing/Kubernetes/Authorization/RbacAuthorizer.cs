namespace Operator.Testing.Kubernetes.Authorization;

/// <summary>
/// What a request asks to do, as the apiserver's <c>authorizer.Attributes</c>: a resource request (verb, API group,
/// resource, subresource, namespace, name) or a non-resource one (verb and path). A list or watch narrowed by
/// <c>fieldSelector=metadata.name=x</c> carries the name, and a Namespace's own URL carries its namespace, as the
/// real RequestInfoFactory sets them, so resourceNames and RoleBindings apply to them.
/// </summary>
internal sealed record AuthorizationAttributes(bool IsResourceRequest, string Verb, string ApiGroup, string Resource, string Subresource, string Namespace, string Name, string Path)
{
    public static AuthorizationAttributes From(RequestInfo info, string? fieldSelector)
    {
        if (!info.IsResourceRequest)
        {
            return new AuthorizationAttributes(false, info.Verb, "", "", "", "", "", info.Path);
        }

        var name = info.Name ?? "";
        if (name.Length == 0 && info.Verb is "list" or "watch" && fieldSelector is not null)
        {
            foreach (var term in fieldSelector.Split(','))
            {
                var parts = term.Split('=', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0].Trim() == "metadata.name" && !term.Contains("!=", StringComparison.Ordinal))
                {
                    name = parts[1].Trim();
                }
            }
        }

        var ns = info.Namespace ?? (info.Group.Length == 0 && info.Resource == "namespaces" ? name : "");
        return new AuthorizationAttributes(true, info.Verb, info.Group, info.Resource, info.Subresource, ns, name, info.Path);
    }

    /// <summary>The real server's forbidden message (<c>User "x" cannot get resource "y" in API group "" ...</c>).</summary>
    public string Why(UserInfo user)
    {
        if (!IsResourceRequest)
        {
            return $"User \"{user.Name}\" cannot {Verb} path \"{Path}\"";
        }

        var resource = Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource;
        return Namespace.Length > 0
            ? $"User \"{user.Name}\" cannot {Verb} resource \"{resource}\" in API group \"{ApiGroup}\" in the namespace \"{Namespace}\""
            : $"User \"{user.Name}\" cannot {Verb} resource \"{resource}\" in API group \"{ApiGroup}\" at the cluster scope";
    }

    /// <summary>The 403 the real server answers (<c>NewForbidden(groupResource, name, ...)</c>).</summary>
    public KubeApiException Forbidden(UserInfo user)
    {
        var why = Why(user);
        if (!IsResourceRequest)
        {
            return new KubeApiException(KubeStatus.Failure(403, "Forbidden", $"forbidden: {why}", new JsonObject()));
        }

        var gr = KubeStatus.GroupResource(ApiGroup, Resource);
        var details = new JsonObject();
        if (Name.Length > 0)
        {
            details["name"] = Name;
        }

        if (ApiGroup.Length > 0)
        {
            details["group"] = ApiGroup;
        }

        details["kind"] = Resource;
        var message = Name.Length > 0 ? $"{gr} \"{Name}\" is forbidden: {why}" : $"{gr} is forbidden: {why}";
        return new KubeApiException(KubeStatus.Failure(403, "Forbidden", message, details));
    }
}

/// <summary>
/// RBAC as the apiserver's authorizer evaluates it, over the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings
/// stored in the emulator: a request is allowed when a rule of a role bound to the user (by User, Group or
/// ServiceAccount subject; a RoleBinding only in its namespace) matches its verb, API group, resource (or
/// <c>resource/subresource</c>, <c>*</c>, <c>*/subresource</c>) and, when the rule names some, resourceNames; or, for
/// non-resource requests, a ClusterRole's nonResourceURLs (exact, or a prefix ending in <c>*</c>). system:masters is
/// always allowed, and the bootstrap policy every cluster has is built in: discovery, OpenAPI and version for
/// authenticated users, health and version for everyone, self subject access reviews for authenticated users.
/// Aggregated ClusterRoles are not expanded. Contract: called under the store's lock.
/// </summary>
internal static class RbacAuthorizer
{
    private const string Group = "rbac.authorization.k8s.io";

    private static readonly string[] DiscoveryPaths = ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/", "/.well-known/openid-configuration", "/openid/v1/jwks"];

    private static readonly string[] PublicPaths = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

    public static bool Allows(ObjectStore store, UserInfo user, AuthorizationAttributes request) =>
        user.IsMaster || Bootstrap(user, request) || Reason(store, user, request) is not null;

    /// <summary>Which binding allows the request (as SelfSubjectAccessReview reports it), or null.</summary>
    public static string? Reason(ObjectStore store, UserInfo user, AuthorizationAttributes request)
    {
        foreach (var binding in store.List($"{Group}/clusterrolebindings", null))
        {
            if (Subject(binding, user, "") is { } subject && RulesOf(store, binding, "").Any(r => Matches(r, request)))
            {
                return $"RBAC: allowed by ClusterRoleBinding \"{Name(binding)}\" of {RoleRef(binding)} to {subject}";
            }
        }

        if (request.IsResourceRequest && request.Namespace.Length > 0)
        {
            foreach (var binding in store.List($"{Group}/rolebindings", request.Namespace))
            {
                if (Subject(binding, user, request.Namespace) is { } subject && RulesOf(store, binding, request.Namespace).Any(r => Matches(r, request)))
                {
                    return $"RBAC: allowed by RoleBinding \"{Name(binding)}/{request.Namespace}\" of {RoleRef(binding)} to {subject}";
                }
            }
        }

        return null;
    }

    private static bool Bootstrap(UserInfo user, AuthorizationAttributes request)
    {
        if (!request.IsResourceRequest)
        {
            return request.Verb == "get" && (PublicPaths.Contains(request.Path) || user.IsAuthenticated && DiscoveryPaths.Any(p => PathMatches(p, request.Path)));
        }

        return user.IsAuthenticated && request.Verb == "create" &&
            (request.ApiGroup, request.Resource) is ("authorization.k8s.io", "selfsubjectaccessreviews" or "selfsubjectrulesreviews") or ("authentication.k8s.io", "selfsubjectreviews");
    }

    /// <summary>The subject of <paramref name="binding"/> that is <paramref name="user"/>, described as the real reason does; null when none.</summary>
    private static string? Subject(JsonObject binding, UserInfo user, string bindingNamespace)
    {
        foreach (var subject in binding["subjects"] as JsonArray ?? [])
        {
            var kind = ResourceStrategy.Str(subject?["kind"]);
            var name = ResourceStrategy.Str(subject?["name"]);
            var ns = ResourceStrategy.Str(subject?["namespace"]) is { Length: > 0 } given ? given : bindingNamespace;
            var matched = kind switch
            {
                "User" => name == user.Name,
                "Group" => name is not null && user.Groups.Contains(name),
                "ServiceAccount" => $"system:serviceaccount:{ns}:{name}" == user.Name,
                _ => false,
            };
            if (matched)
            {
                return kind == "ServiceAccount" ? $"ServiceAccount \"{name}/{ns}\"" : $"{kind} \"{name}\"";
            }
        }

        return null;
    }

    private static IEnumerable<JsonObject> RulesOf(ObjectStore store, JsonObject binding, string bindingNamespace)
    {
        var kind = ResourceStrategy.Str(binding["roleRef"]?["kind"]);
        var name = ResourceStrategy.Str(binding["roleRef"]?["name"]) ?? "";
        var role = kind switch
        {
            "ClusterRole" => store.Get($"{Group}/clusterroles", null, name),
            "Role" when bindingNamespace.Length > 0 => store.Get($"{Group}/roles", bindingNamespace, name),
            _ => null,
        };
        return (role?["rules"] as JsonArray ?? []).OfType<JsonObject>();
    }

    private static bool Matches(JsonObject rule, AuthorizationAttributes request)
    {
        if (!Strings(rule["verbs"]).Any(v => v == "*" || v == request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return Strings(rule["nonResourceURLs"]).Any(p => PathMatches(p, request.Path));
        }

        if (!Strings(rule["apiGroups"]).Any(g => g == "*" || g == request.ApiGroup))
        {
            return false;
        }

        var combined = request.Subresource.Length > 0 ? $"{request.Resource}/{request.Subresource}" : request.Resource;
        if (!Strings(rule["resources"]).Any(r => r == "*" || r == combined || request.Subresource.Length > 0 && r == "*/" + request.Subresource))
        {
            return false;
        }

        var names = Strings(rule["resourceNames"]).ToList();
        return names.Count == 0 || request.Name.Length > 0 && names.Contains(request.Name);
    }

    private static bool PathMatches(string pattern, string path) =>
        pattern == "*" || pattern == path || pattern.EndsWith('*') && path.StartsWith(pattern[..^1], StringComparison.Ordinal);

    private static IEnumerable<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(ResourceStrategy.Str).OfType<string>();

    private static string Name(JsonObject obj) => ResourceStrategy.Str(obj["metadata"]?["name"]) ?? "";

    private static string RoleRef(JsonObject binding) =>
        $"{ResourceStrategy.Str(binding["roleRef"]?["kind"])} \"{ResourceStrategy.Str(binding["roleRef"]?["name"])}\"";
}
