using Operator.Testing.Kubernetes;

namespace Operator.Tests.Deploy;

/// <summary>
/// The operator's RBAC is least privilege: exactly the requests Operator.Core makes (informers list/watch the two
/// kinds and Secrets; KubernetesSecretReader gets Secrets; ObjectPatcher patches ECSCluster finalizers and both
/// kinds' /status; EventRecorder creates and patches core/v1 Events; LeaderElection gets, creates and patches its Lease
/// in infra-operator-system). Adding a grant must change this test.
/// </summary>
[TestFixture]
public sealed class RbacTests
{
    private const string Group = "aws-infra-operator.runner.codes";

    /// <summary>What the ClusterRole grants, as (apiGroup, resource[/subresource], verb).</summary>
    private static readonly HashSet<(string, string, string)> ExpectedClusterWide =
    [
        (Group, "awsproviders", "list"),
        (Group, "awsproviders", "watch"),
        (Group, "awsproviders", "patch"),
        (Group, "ecsclusters", "get"),
        (Group, "ecsclusters", "list"),
        (Group, "ecsclusters", "watch"),
        (Group, "ecsclusters", "patch"),
        (Group, "awsproviders/status", "patch"),
        (Group, "ecsclusters/status", "patch"),
        ("", "secrets", "get"),
        ("", "secrets", "list"),
        ("", "secrets", "watch"),
        ("", "events", "create"),
        ("", "events", "patch"),
        ("", "events", "list"),
    ];

    /// <summary>What the Role in the operator's namespace grants.</summary>
    private static readonly HashSet<(string, string, string)> ExpectedInOperatorNamespace =
    [
        ("coordination.k8s.io", "leases", "get"),
        ("coordination.k8s.io", "leases", "create"),
        ("coordination.k8s.io", "leases", "patch"),
    ];

    public static IEnumerable<string> Builds() =>
        ["deploy/base", "deploy/overlays/dev", "deploy/overlays/staging", "deploy/overlays/production", "manifests"];

    [TestCaseSource(nameof(Builds))]
    public async Task No_rule_anywhere_uses_a_wildcard(string build)
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo(build));
        var roles = objects.Where(o => o.Kind() is "ClusterRole" or "Role").ToList();

        roles.Should().NotBeEmpty();
        foreach (var role in roles)
        {
            foreach (var rule in Manifest.Items(role["rules"]))
            {
                var values = new[] { "apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs" }
                    .SelectMany(f => Manifest.Strings(rule[f]).Select(v => (Field: f, Value: v)));
                values.Should().NotContain(v => v.Value.Contains('*'), $"{role.Kind()} {role.Name()} must not use wildcards");
            }
            role["aggregationRule"].Should().BeNull("an aggregated role's rules are not visible in the manifests");
        }
    }

    [Test]
    public async Task The_ClusterRole_grants_exactly_what_the_operator_does()
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"));
        var clusterRole = objects.Single("ClusterRole", "infra-operator-manager-role");
        var granted = Manifest.Items(clusterRole["rules"])
            .Select(RbacRules.PolicyRule.From)
            .SelectMany(r => r.ApiGroups.SelectMany(a => r.Resources.SelectMany(res => r.Verbs.Select(v => (a, res, v)))))
            .ToHashSet();

        granted.Should().BeEquivalentTo(ExpectedClusterWide);
        objects.OfKind("ClusterRole").Should().ContainSingle("the operator needs one ClusterRole");
    }

    [Test]
    public async Task The_ServiceAccount_holds_exactly_the_expected_grants_and_nothing_else()
    {
        var rbac = await RbacRules.LoadAsync();

        rbac.Triples().Should().BeEquivalentTo(ExpectedClusterWide, "cluster-wide grants");
        rbac.Triples(Manifest.OperatorNamespace).Should().BeEquivalentTo(ExpectedInOperatorNamespace, "Leases, in its own namespace only");
        rbac.Grants.Select(g => g.Namespace).Distinct().Should().BeEquivalentTo(new string?[] { null, Manifest.OperatorNamespace });
    }

    [Test]
    public async Task Secrets_are_only_read()
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"));
        var secretRules = objects.Where(o => o.Kind() is "ClusterRole" or "Role")
            .SelectMany(r => Manifest.Items(r["rules"]))
            .Select(RbacRules.PolicyRule.From)
            .Where(r => r.ApiGroups.Contains("") && r.Resources.Any(res => res == "secrets" || res.StartsWith("secrets/", StringComparison.Ordinal)))
            .ToList();

        secretRules.Should().NotBeEmpty();
        secretRules.SelectMany(r => r.Verbs).Distinct().Should().BeSubsetOf(["get", "list", "watch"]);
        secretRules.SelectMany(r => r.Resources).Should().OnlyContain(r => r == "secrets", "no Secret subresource is needed");
    }

    [Test]
    public async Task Every_binding_binds_the_guides_ServiceAccount_to_a_role_of_the_build()
    {
        var objects = await Kustomize.BuildAsync(Kustomize.Repo("deploy", "base"));
        var bindings = objects.Where(o => o.Kind() is "ClusterRoleBinding" or "RoleBinding").ToList();

        bindings.Should().HaveCount(2);
        foreach (var binding in bindings)
        {
            Manifest.Items(binding["subjects"]).Should().ContainSingle().Which.ToJsonString().Should().Be(
                new JsonObject { ["kind"] = "ServiceAccount", ["name"] = Manifest.OperatorServiceAccount, ["namespace"] = Manifest.OperatorNamespace }
                    .ToJsonString());
            var roleRef = binding["roleRef"]!;
            var role = objects.Where(o => o.Kind() == roleRef["kind"]!.GetValue<string>() && o.Name() == roleRef["name"]!.GetValue<string>());
            role.Should().ContainSingle($"{binding.Name()} must reference a role shipped with it");
        }
        objects.Single("RoleBinding", "infra-operator-leader-election-rolebinding", Manifest.OperatorNamespace);
    }

    /// <summary>The kustomize Component for <c>--namespaces</c>, deploy/base with it: Secrets and Events per namespace.</summary>
    public static Task<IReadOnlyList<JsonObject>> NamespacedBuildAsync(string component = "manifests/rbac/namespaced") =>
        Kustomize.BuildAdHocAsync(
            $$"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {deploy/base}
            components:
              - {{{component}}}
            """,
            "deploy/base", component);

    [TestCase("manifests/rbac/namespaced")]
    [TestCase("manifests/rbac/namespaced-secrets")]
    public async Task The_namespaced_option_grants_Secrets_and_Events_only_in_the_namespaces_the_operator_watches(string component)
    {
        var objects = await NamespacedBuildAsync(component);
        var rbac = RbacRules.FromObjects(objects);
        var args = Manifest.Strings(Manifest.OperatorDeploymentOf(objects).PodSpec().AllContainers()[0]["args"]);
        var watched = Manifest.Flag(args, "--namespaces")!.Split(',');

        rbac.Triples().Should().BeEquivalentTo(ExpectedClusterWide.Where(t => t.Item2 is not ("secrets" or "events")),
            "Secrets and Events leave the ClusterRole");
        rbac.Triples("default").Should().BeEquivalentTo(new[]
        {
            ("", "secrets", "get"), ("", "secrets", "list"), ("", "secrets", "watch"),
            ("", "events", "create"), ("", "events", "patch"), ("", "events", "list"),
        });
        rbac.Triples(Manifest.OperatorNamespace).Should().BeEquivalentTo(ExpectedInOperatorNamespace);
        watched.Should().Equal("default");
        watched.Should().OnlyContain(ns => rbac.Allows("", "secrets", "", "watch", ns) && rbac.Allows("", "secrets", "", "get", ns)
            && rbac.Allows("", "events", "", "create", ns));
        rbac.Allows("", "secrets", "", "list", null).Should().BeFalse("no cluster-wide Secret access is left");
        rbac.Allows("", "secrets", "", "get", "team-a").Should().BeFalse("a namespace without the Role has no Secret access");
        rbac.Allows("", "events", "", "create", "team-a").Should().BeFalse("nor may Events be written there");
    }

    [TestCase("", "secrets", "", "get", "team-a", true)]
    [TestCase("", "secrets", "", "list", null, true)]
    [TestCase("", "secrets", "", "watch", "", true)]
    [TestCase("", "secrets", "", "create", "team-a", false)]
    [TestCase("", "secrets", "", "delete", "team-a", false)]
    [TestCase("", "events", "", "create", "team-a", true)]
    [TestCase("", "events", "", "patch", "team-a", true)]
    [TestCase("", "events", "", "update", "team-a", false)]
    [TestCase("events.k8s.io", "events", "", "create", "team-a", false)]
    [TestCase(Group, "ecsclusters", "", "list", null, true)]
    [TestCase(Group, "ecsclusters", "", "watch", "team-a", true)]
    [TestCase(Group, "ecsclusters", "", "patch", "team-a", true)]
    [TestCase(Group, "ecsclusters", "", "get", "team-a", true)]
    [TestCase(Group, "ecsclusters", "", "update", "team-a", false)]
    [TestCase(Group, "ecsclusters", "", "delete", "team-a", false)]
    [TestCase(Group, "ecsclusters", "status", "patch", "team-a", true)]
    [TestCase(Group, "ecsclusters", "status", "update", "team-a", false)]
    [TestCase(Group, "awsproviders", "", "watch", null, true)]
    [TestCase(Group, "awsproviders", "", "patch", "team-a", true)]
    [TestCase(Group, "awsproviders", "status", "patch", "team-a", true)]
    [TestCase("coordination.k8s.io", "leases", "", "get", "infra-operator-system", true)]
    [TestCase("coordination.k8s.io", "leases", "", "create", "infra-operator-system", true)]
    [TestCase("coordination.k8s.io", "leases", "", "patch", "infra-operator-system", true)]
    [TestCase("coordination.k8s.io", "leases", "", "update", "infra-operator-system", false)]
    [TestCase("coordination.k8s.io", "leases", "", "delete", "infra-operator-system", false)]
    [TestCase("coordination.k8s.io", "leases", "", "get", "default", false)]
    [TestCase("coordination.k8s.io", "leases", "", "list", null, false)]
    [TestCase("", "configmaps", "", "get", "infra-operator-system", false)]
    [TestCase("", "namespaces", "", "list", null, false)]
    public async Task RbacRules_answers_like_the_authorizer(string group, string resource, string sub, string verb, string? ns, bool allowed)
    {
        var rbac = await RbacRules.LoadAsync();

        rbac.Allows(group, resource, sub, verb, ns).Should().Be(allowed);
    }

    [Test]
    public async Task RbacRules_reads_the_emulators_request_log_entries()
    {
        var rbac = await RbacRules.LoadAsync();
        var now = DateTimeOffset.UnixEpoch;
        RequestLogEntry[] requests =
        [
            new(now, "GET", "/apis/aws-infra-operator.runner.codes/v1alpha1/ecsclusters", "list", Group, "ecsclusters", "", "", "", 200),
            new(now, "PATCH", "/apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters/a/status", "patch", Group, "ecsclusters", "status", "default", "a", 200),
            new(now, "PATCH", "/apis/coordination.k8s.io/v1/namespaces/infra-operator-system/leases/infra-operator-leader", "patch", "coordination.k8s.io", "leases", "", "infra-operator-system", "infra-operator-leader", 200),
            new(now, "GET", "/apis/aws-infra-operator.runner.codes/v1alpha1", "get", "", "", "", "", "", 200),
            new(now, "DELETE", "/apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters/a", "delete", Group, "ecsclusters", "", "default", "a", 200),
            new(now, "PUT", "/api/v1/namespaces/default/secrets/s", "update", "", "secrets", "", "default", "s", 200),
        ];

        rbac.Denied(requests).Select(RbacRules.Describe).Should().Equal(
            "delete aws-infra-operator.runner.codes/ecsclusters in namespace default (DELETE /apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters/a)",
            "update core/secrets in namespace default (PUT /api/v1/namespaces/default/secrets/s)");
    }

    [Test]
    public void RbacRules_follows_the_authorizers_matching_rules()
    {
        JsonObject[] objects =
        [
            Role("ClusterRole", "wide", null, """{"apiGroups":["*"],"resources":["*/status"],"verbs":["patch"]}"""),
            Role("Role", "named", "ns1", """{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"],"resourceNames":["cm"]}"""),
            Role("ClusterRole", "reused", null, """{"apiGroups":["apps"],"resources":["deployments"],"verbs":["*"]}"""),
            Role("ClusterRole", "unbound", null, """{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}"""),
            Binding("ClusterRoleBinding", null, "ClusterRole", "wide", "sa-ns", "sa"),
            Binding("RoleBinding", "ns1", "Role", "named", "sa-ns", "sa"),
            Binding("RoleBinding", "ns2", "ClusterRole", "reused", "sa-ns", "sa"),
            Binding("ClusterRoleBinding", null, "ClusterRole", "unbound", "sa-ns", "someone-else"),
        ];
        var rbac = RbacRules.FromObjects(objects, "sa-ns", "sa");

        rbac.Allows("x.io", "things", "status", "patch", "any").Should().BeTrue("*/status matches every status subresource");
        rbac.Allows("x.io", "things", "", "patch", "any").Should().BeFalse("*/status does not match the main resource");
        rbac.Allows("", "configmaps", "", "get", "ns1", "cm").Should().BeTrue();
        rbac.Allows("", "configmaps", "", "get", "ns1", "other").Should().BeFalse("resourceNames restricts to the named objects");
        rbac.Allows("", "configmaps", "", "get", "ns1").Should().BeFalse("an unnamed request never matches a rule with resourceNames");
        rbac.Allows("apps", "deployments", "", "delete", "ns2").Should().BeTrue("a RoleBinding to a ClusterRole grants in its namespace");
        rbac.Allows("apps", "deployments", "", "delete", "ns1").Should().BeFalse();
        rbac.Allows("apps", "deployments", "", "list", null).Should().BeFalse("a RoleBinding never grants cluster-wide");
        rbac.Allows("", "pods", "", "get", "ns1").Should().BeFalse("bindings of other subjects do not count");
        rbac.AllowsNonResource("/apis/apps/v1", "get").Should().BeTrue("discovery is open to every authenticated user");
        rbac.AllowsNonResource("/metrics", "get").Should().BeFalse();
    }

    private static JsonObject Role(string kind, string name, string? ns, string rule) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = kind,
        ["metadata"] = ns is null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["rules"] = new JsonArray(JsonNode.Parse(rule)),
    };

    private static JsonObject Binding(string kind, string? ns, string roleKind, string roleName, string saNamespace, string sa) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = kind,
        ["metadata"] = ns is null ? new JsonObject { ["name"] = roleName } : new JsonObject { ["name"] = roleName, ["namespace"] = ns },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = roleName },
        ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = sa, ["namespace"] = saNamespace }),
    };
}
