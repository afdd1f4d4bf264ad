using Operator.Testing.Kubernetes;

namespace Operator.Tests.Deploy;

/// <summary>
/// What the operator's ServiceAccount may do, evaluated like kube-apiserver's RBAC authorizer, from the
/// ClusterRoles, Roles and bindings of a built kustomization (by default <c>deploy/base</c>, the RBAC every overlay
/// ships). Meant for end-to-end tests: give it the API emulator's request log and it says which requests a real
/// cluster would have refused.
/// <code>
/// var rbac = await RbacRules.LoadAsync();
/// emulator.Requests.Reset();   // after the test's own setup: the log does not tell clients apart
/// // ... run the operator ...
/// rbac.Denied(emulator.Requests.Entries).Select(RbacRules.Describe).Should().BeEmpty();
/// </code>
/// Run the operator with its Lease in infra-operator-system (the only namespace where the Role grants Leases).
/// Contracts:
/// <list type="bullet">
/// <item>Only rules reachable from a binding whose subject is the ServiceAccount count. A ClusterRoleBinding grants
/// its rules everywhere (every namespace and cluster-wide requests); a RoleBinding grants its Role's (or
/// ClusterRole's) rules only inside the binding's namespace.</item>
/// <item>A rule matches like the apiserver's <c>RuleAllows</c>: verb and API group match exactly or by <c>*</c>;
/// the resource is <c>resource</c> or <c>resource/subresource</c>, matched exactly, by <c>*</c> or by
/// <c>*/subresource</c>; a rule with <c>resourceNames</c> matches only requests naming one of them (so never a
/// create or a list).</item>
/// <item>Non-resource requests (discovery such as <c>/api</c>, <c>/apis/...</c>, <c>/version</c>) are allowed when
/// a bound rule lists the URL, or when Kubernetes' default <c>system:discovery</c> and
/// <c>system:public-info-viewer</c> roles grant them to every authenticated user.</item>
/// </list>
/// Verbs are the audit-log verbs the emulator logs: get, list, watch, create, update, patch, delete, deletecollection.
/// </summary>
internal sealed class RbacRules
{
    /// <summary>Non-resource URLs every authenticated identity may GET (system:discovery, system:public-info-viewer).</summary>
    private static readonly string[] DefaultNonResourceUrls =
        ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/", "/healthz", "/livez", "/readyz"];

    private RbacRules(IReadOnlyList<Grant> grants) => Grants = grants;

    /// <summary>Every rule the ServiceAccount holds; <see cref="Grant.Namespace"/> null means cluster-wide.</summary>
    public IReadOnlyList<Grant> Grants { get; }

    /// <summary>The RBAC of <paramref name="kustomization"/> (default: deploy/base) for the operator's ServiceAccount.</summary>
    public static async Task<RbacRules> LoadAsync(string? kustomization = null) =>
        FromObjects(await Kustomize.BuildAsync(kustomization ?? Kustomize.Repo("deploy", "base")));

    /// <summary>
    /// The rules of the roles bound to ServiceAccount <paramref name="serviceAccountNamespace"/>/<paramref name="serviceAccount"/>
    /// among <paramref name="objects"/> (other kinds are ignored).
    /// </summary>
    public static RbacRules FromObjects(
        IEnumerable<JsonObject> objects,
        string serviceAccountNamespace = Manifest.OperatorNamespace,
        string serviceAccount = Manifest.OperatorServiceAccount)
    {
        var all = objects.ToList();
        var clusterRoles = all.OfKind("ClusterRole").ToDictionary(r => r.Name(), Rules, StringComparer.Ordinal);
        var roles = all.OfKind("Role").ToDictionary(r => $"{r.Namespace()}/{r.Name()}", Rules, StringComparer.Ordinal);
        var grants = new List<Grant>();
        foreach (var binding in all.Where(o => o.Kind() is "ClusterRoleBinding" or "RoleBinding"))
        {
            if (!Manifest.Items(binding["subjects"]).Any(s =>
                    s["kind"]?.GetValue<string>() == "ServiceAccount"
                    && s["name"]?.GetValue<string>() == serviceAccount
                    && (s["namespace"]?.GetValue<string>() ?? binding.Namespace()) == serviceAccountNamespace))
            {
                continue;
            }
            var roleRef = binding["roleRef"]!;
            var refKind = roleRef["kind"]!.GetValue<string>();
            var refName = roleRef["name"]!.GetValue<string>();
            var scope = binding.Kind() == "ClusterRoleBinding" ? null : binding.Namespace();
            var rules = refKind == "ClusterRole"
                ? clusterRoles.GetValueOrDefault(refName)
                : binding.Kind() == "RoleBinding" ? roles.GetValueOrDefault($"{scope}/{refName}") : null;
            // A binding to a role that is not in the build grants nothing (the apiserver ignores it too).
            foreach (var rule in rules ?? [])
            {
                grants.Add(new Grant(scope, rule, $"{binding.Kind()} {binding.Name()} -> {refKind} {refName}"));
            }
        }
        return new RbacRules(grants);
    }

    /// <summary>
    /// Whether the ServiceAccount may make the request. <paramref name="apiGroup"/> is "" for the core group,
    /// <paramref name="subresource"/> "" for the main resource, <paramref name="ns"/> null or "" for cluster-wide
    /// requests (such as a list or watch across all namespaces).
    /// </summary>
    public bool Allows(string apiGroup, string resource, string subresource, string verb, string? ns, string? name = null)
    {
        var combined = subresource.Length == 0 ? resource : $"{resource}/{subresource}";
        var scope = string.IsNullOrEmpty(ns) ? null : ns;
        return Grants.Any(g =>
            (g.Namespace is null || g.Namespace == scope)
            && g.Rule.Allows(apiGroup, combined, subresource, verb, name));
    }

    /// <summary>Whether a request the API emulator logged would have been authorized.</summary>
    public bool Allows(RequestLogEntry request)
    {
        if (request.Resource.Length == 0)
        {
            return AllowsNonResource(request.Path, request.Verb);
        }
        return Allows(request.Group, request.Resource, request.Subresource, request.Verb, request.Namespace,
            request.Name.Length == 0 ? null : request.Name);
    }

    /// <summary>The requests that would have been refused with 403, in order; empty when all were allowed.</summary>
    public IReadOnlyList<RequestLogEntry> Denied(IEnumerable<RequestLogEntry> requests) =>
        [.. requests.Where(r => !Allows(r))];

    /// <summary>A request's RBAC attributes in one line, for failure messages.</summary>
    public static string Describe(RequestLogEntry r) =>
        $"{r.Verb} {(r.Group.Length == 0 ? "core" : r.Group)}/{r.Resource}{(r.Subresource.Length == 0 ? "" : "/" + r.Subresource)}"
        + $" in {(r.Namespace.Length == 0 ? "all namespaces" : "namespace " + r.Namespace)} ({r.Method} {r.Path})";

    /// <summary>Non-resource URL access (GET of discovery and version paths).</summary>
    public bool AllowsNonResource(string path, string verb)
    {
        var bare = path.Split('?', 2)[0];
        return (verb == "get" && DefaultNonResourceUrls.Any(u => UrlMatches(u, bare)))
            || Grants.Any(g => g.Namespace is null
                && g.Rule.NonResourceUrls.Any(u => UrlMatches(u, bare))
                && (g.Rule.Verbs.Contains("*") || g.Rule.Verbs.Contains(verb)));
    }

    /// <summary>
    /// Every (apiGroup, resource[/subresource], verb) the ServiceAccount holds in <paramref name="ns"/> (null: the
    /// grants that hold cluster-wide), rule by rule expanded; wildcards stay as "*".
    /// </summary>
    public IReadOnlySet<(string ApiGroup, string Resource, string Verb)> Triples(string? ns = null) =>
        Grants.Where(g => g.Namespace == ns)
            .SelectMany(g => g.Rule.ApiGroups.SelectMany(a => g.Rule.Resources.SelectMany(r => g.Rule.Verbs.Select(v => (a, r, v)))))
            .ToHashSet();

    private static bool UrlMatches(string pattern, string path) =>
        pattern == "*" || pattern == path || (pattern.EndsWith('*') && path.StartsWith(pattern[..^1], StringComparison.Ordinal));

    private static IReadOnlyList<PolicyRule> Rules(JsonObject role) =>
        [.. Manifest.Items(role["rules"]).Select(PolicyRule.From)];

    /// <summary>One rule of a role, held by the ServiceAccount in <see cref="Namespace"/> (null: everywhere).</summary>
    public sealed record Grant(string? Namespace, PolicyRule Rule, string Source);

    /// <summary>An RBAC PolicyRule (rbac.authorization.k8s.io/v1).</summary>
    public sealed record PolicyRule(
        IReadOnlyList<string> ApiGroups,
        IReadOnlyList<string> Resources,
        IReadOnlyList<string> Verbs,
        IReadOnlyList<string> ResourceNames,
        IReadOnlyList<string> NonResourceUrls)
    {
        public static PolicyRule From(JsonObject rule) => new(
            Manifest.Strings(rule["apiGroups"]),
            Manifest.Strings(rule["resources"]),
            Manifest.Strings(rule["verbs"]),
            Manifest.Strings(rule["resourceNames"]),
            Manifest.Strings(rule["nonResourceURLs"]));

        /// <summary>The apiserver's RuleAllows for a resource request (<paramref name="combined"/> = resource[/subresource]).</summary>
        public bool Allows(string apiGroup, string combined, string subresource, string verb, string? name) =>
            (Verbs.Contains("*") || Verbs.Contains(verb))
            && (ApiGroups.Contains("*") || ApiGroups.Contains(apiGroup))
            && Resources.Any(r => r == "*" || r == combined || (subresource.Length > 0 && r == "*/" + subresource))
            && (ResourceNames.Count == 0 || (name is not null && ResourceNames.Contains(name)));
    }
}
