using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// RBAC enforced from the stored roles (<see cref="KubeApiEmulatorOptions.EnforceRbac"/>), with the shipped
/// manifests/rbac and the real kubectl. Messages are the ones a real kube-apiserver v1.32.13 answered to the same
/// requests by the operator's ServiceAccount.
/// </summary>
[TestFixture]
public sealed class KubeApiEmulatorRbacTests : EmulatorTestBase
{
    private const string OperatorNs = "infra-operator-system";
    private const string OperatorSa = "infra-operator-controller-manager";
    private const string OperatorUser = $"system:serviceaccount:{OperatorNs}:{OperatorSa}";

    private string _home = null!;

    protected override KubeApiEmulatorOptions Options() =>
        new() { CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"), EnforceRbac = true };

    [SetUp]
    public void MakeHome()
    {
        _home = Path.Combine(Path.GetTempPath(), "kubectl-rbac-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_home);
    }

    [TearDown]
    public void RemoveHome() => Directory.Delete(_home, recursive: true);

    private async Task<string> Kubectl(string kubeconfig, params string[] args)
    {
        using var p = KubectlProcess.Start(kubeconfig, _home, args);
        await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return $"{p.ExitCode}|{p.Stdout.Trim()}|{p.Stderr.Trim()}";
    }

    private static bool HasKubectl => File.Exists(KubectlProcess.Binary) || !KubectlProcess.Binary.StartsWith('/');

    /// <summary>manifests/rbac, applied by the admin through the API (kubectl's variant is in the test that needs it).</summary>
    private async Task ApplyShippedRbacAsync()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OperatorNs } });
        foreach (var file in new[] { "service_account.yaml", "cluster_role.yaml", "cluster_role_binding.yaml", "leader_election_role.yaml" })
        {
            foreach (var doc in YamlJson.ParseAll(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "manifests", "rbac", file))).OfType<JsonObject>())
            {
                var (group, version) = doc["apiVersion"]!.GetValue<string>() is var av && av.Contains('/') ? (av.Split('/')[0], av.Split('/')[1]) : ("", doc["apiVersion"]!.GetValue<string>());
                var plural = doc["kind"]!.GetValue<string>().ToLowerInvariant() + "s";
                var ns = doc["metadata"]!["namespace"]?.GetValue<string>();
                var path = (group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}") + (ns is null ? "" : $"/namespaces/{ns}") + $"/{plural}";
                var created = await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Post, path, doc.ToJsonString(), token: AdminToken);
                created.Code.Should().Be(HttpStatusCode.Created, created.Text);
            }
        }
    }

    private string AdminToken => Emulator.ClientConfiguration().AccessToken!;

    private Task<RawResponse> As(string token, HttpMethod method, string path, string? body = null, string contentType = "application/json") =>
        RawHttp.SendAsync(Emulator.BaseAddress, method, path, body, contentType, token: token);

    [Test]
    public async Task The_operators_service_account_may_do_what_the_shipped_roles_grant_and_nothing_else()
    {
        await ApplyShippedRbacAsync();
        await CreateClusterAsync(Cluster("a"));
        var token = Emulator.IssueServiceAccountToken(OperatorNs, OperatorSa);
        const string Leases = $"/apis/coordination.k8s.io/v1/namespaces/{OperatorNs}/leases";

        var allowed = new[]
        {
            await As(token, HttpMethod.Get, $"/apis/{Group}/{Version}/{Plural}"),
            await As(token, HttpMethod.Get, $"/apis/{Group}/{Version}/{Plural}?watch=true&timeoutSeconds=1"),
            await As(token, HttpMethod.Get, $"{ClusterPath}/a"),
            await As(token, HttpMethod.Patch, $"{ClusterPath}/a/status", """{"status":{"ready":true}}""", "application/merge-patch+json"),
            await As(token, HttpMethod.Patch, $"{ClusterPath}/a", """{"metadata":{"finalizers":["x/y"]}}""", "application/merge-patch+json"),
            await As(token, HttpMethod.Get, "/api/v1/secrets?limit=1"),
            await As(token, HttpMethod.Post, "/api/v1/namespaces/default/events", """{"metadata":{"name":"e"},"involvedObject":{"kind":"ECSCluster","name":"a"},"reason":"R","message":"m"}"""),
            await As(token, HttpMethod.Get, "/api/v1/namespaces/default/events"),
            await As(token, HttpMethod.Post, Leases, """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"leader"},"spec":{"holderIdentity":"me"}}"""),
        };
        var lease = (await As(token, HttpMethod.Get, $"{Leases}/leader")).Object;
        var renewed = await As(token, HttpMethod.Patch, $"{Leases}/leader",
            "{\"metadata\":{\"resourceVersion\":\"" + lease["metadata"]!["resourceVersion"] + "\"},\"spec\":{\"holderIdentity\":\"you\"}}", "application/merge-patch+json");
        lease["spec"]!["holderIdentity"] = "them";
        var replaced = await As(token, HttpMethod.Put, $"{Leases}/leader", lease.ToJsonString());

        var deleteCluster = await As(token, HttpMethod.Delete, $"{ClusterPath}/a");
        var listConfigMaps = await As(token, HttpMethod.Get, "/api/v1/configmaps");
        var getNamespace = await As(token, HttpMethod.Get, "/api/v1/namespaces/default");
        var listLeases = await As(token, HttpMethod.Get, Leases);
        var leaseElsewhere = await As(token, HttpMethod.Get, "/apis/coordination.k8s.io/v1/namespaces/default/leases/leader");
        var metrics = await As(token, HttpMethod.Get, "/metrics");
        var applyCreate = await As(token, HttpMethod.Patch, $"{ClusterPath}/new1?fieldManager=op",
            $"apiVersion: {Group}/{Version}\nkind: ECSCluster\nmetadata: {{name: new1, namespace: default}}\nspec: {{clusterName: new1, providerRef: {{name: p}}}}\n", "application/apply-patch+yaml");

        allowed.Select(a => (int)a.Code).Should().AllSatisfy(code => code.Should().BeOneOf(200, 201));
        renewed.Code.Should().Be(HttpStatusCode.OK, "patch of a Lease is granted in the operator's namespace");
        replaced.Code.Should().Be(HttpStatusCode.Forbidden, "update is not: the operator patches its Lease");
        deleteCluster.Body.ShouldEqualJson($$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ecsclusters.{{{Group}}} \"a\" is forbidden: User \"{{{OperatorUser}}}\" cannot delete resource \"ecsclusters\" in API group \"{{{Group}}}\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"a","group":"{{{Group}}}","kind":"ecsclusters"},"code":403}""");
        listConfigMaps.Body.ShouldEqualJson($$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"{{{OperatorUser}}}\" cannot list resource \"configmaps\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}""");
        getNamespace.Message.Should().Be($"namespaces \"default\" is forbidden: User \"{OperatorUser}\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"default\"");
        listLeases.Body.ShouldEqualJson($$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io is forbidden: User \"{{{OperatorUser}}}\" cannot list resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"{{{OperatorNs}}}\"","reason":"Forbidden","details":{"group":"coordination.k8s.io","kind":"leases"},"code":403}""");
        leaseElsewhere.Code.Should().Be(HttpStatusCode.Forbidden, "the Lease Role binds in the operator's namespace only");
        metrics.Body.ShouldEqualJson($$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"{{{OperatorUser}}}\" cannot get path \"/metrics\"","reason":"Forbidden","details":{},"code":403}""");
        applyCreate.Message.Should().Be($"ecsclusters.{Group} \"new1\" is forbidden: User \"{OperatorUser}\" cannot create resource \"ecsclusters\" in API group \"{Group}\" in the namespace \"default\"",
            "an apply that creates needs create");
        Emulator.Requests.Entries.Where(e => e.StatusCode == 403).Select(e => e.User).Distinct().Should().Equal(OperatorUser);
    }

    [Test]
    public async Task The_real_client_as_the_service_account_gets_the_403_as_an_exception()
    {
        await ApplyShippedRbacAsync();
        using var client = Emulator.CreateClient(Emulator.IssueServiceAccountToken(OperatorNs, OperatorSa));

        var list = await client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, Plural);
        var (code, status) = await FailureOf(() => client.CoreV1.ListNamespacedConfigMapAsync("default"));

        list.Should().NotBeNull();
        code.Should().Be(HttpStatusCode.Forbidden);
        status["message"]!.GetValue<string>().Should().Be($"configmaps is forbidden: User \"{OperatorUser}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"");
    }

    [Test]
    public async Task Kubectl_applies_the_shipped_roles_issues_a_token_and_answers_can_i_as_the_service_account()
    {
        if (!HasKubectl)
        {
            Assert.Ignore("kubectl is not installed");
        }

        var admin = Emulator.WriteKubeconfig(Path.Combine(_home, "admin.kubeconfig"));
        (await Kubectl(admin, "create", "namespace", OperatorNs)).Should().StartWith("0|");
        (await Kubectl(admin, "apply", "-k", Path.Combine(RepoPaths.Root, "manifests", "rbac"))).Should().StartWith("0|");
        var token = (await Kubectl(admin, "-n", OperatorNs, "create", "token", OperatorSa)).Split('|')[1];
        var sa = Emulator.WriteKubeconfig(Path.Combine(_home, "sa.kubeconfig"), token);

        (await Kubectl(sa, "auth", "can-i", "patch", "ecsclusters/status", "-n", "default")).Should().StartWith("0|yes");
        (await Kubectl(sa, "auth", "can-i", "delete", "ecsclusters", "-n", "default")).Should().StartWith("1|no");
        (await Kubectl(sa, "auth", "can-i", "patch", "leases", "-n", OperatorNs)).Should().StartWith("0|yes");
        (await Kubectl(sa, "auth", "can-i", "list", "leases", "-n", OperatorNs)).Should().StartWith("1|no");
        (await Kubectl(sa, "get", "ecsclusters", "-A")).Should().StartWith("0|");
        (await Kubectl(sa, "get", "configmaps", "-n", "default")).Should().Be(
            $"1||Error from server (Forbidden): configmaps is forbidden: User \"{OperatorUser}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"");
    }

    [Test]
    public async Task A_self_subject_access_review_says_which_binding_allows_as_the_real_server_does()
    {
        await ApplyShippedRbacAsync();
        var token = Emulator.IssueServiceAccountToken(OperatorNs, OperatorSa);
        const string Review = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

        var allowed = await As(token, HttpMethod.Post, Review, """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"t1","verb":"patch","group":"GROUP","resource":"ecsclusters","subresource":"status"}}}""".Replace("GROUP", Group, StringComparison.Ordinal));
        var denied = await As(token, HttpMethod.Post, Review, """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"t1","verb":"delete","group":"GROUP","resource":"ecsclusters"}}}""".Replace("GROUP", Group, StringComparison.Ordinal));

        allowed.Code.Should().Be(HttpStatusCode.Created);
        allowed.Object["status"].ShouldEqualJson($$$"""{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"infra-operator-manager-rolebinding\" of ClusterRole \"infra-operator-manager-role\" to ServiceAccount \"{{{OperatorSa}}}/{{{OperatorNs}}}\""}""");
        denied.Object["status"].ShouldEqualJson("""{"allowed":false}""");
    }

    [Test]
    public async Task Role_bindings_apply_in_their_namespace_and_resource_names_narrow_a_rule()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });
        foreach (var (ns, name) in new[] { ("default", "a"), ("default", "b"), ("other", "a") })
        {
            await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, ns);
        }

        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "read-a" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "list"], ResourceNames = ["a"] }],
        });
        await Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "readers" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "read-a" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "readers", ApiGroup = "rbac.authorization.k8s.io" }],
        }, "default");
        var token = Emulator.IssueUserToken("jane", "readers");

        (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/a")).Code.Should().Be(HttpStatusCode.OK);
        (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/b")).Message.Should().Be(
            "configmaps \"b\" is forbidden: User \"jane\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"default\"");
        (await As(token, HttpMethod.Get, "/api/v1/namespaces/other/configmaps/a")).Code.Should().Be(HttpStatusCode.Forbidden, "the binding is in default only");
        (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/configmaps")).Code.Should().Be(HttpStatusCode.Forbidden, "resourceNames do not grant a plain list");
        (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Da")).Code.Should().Be(HttpStatusCode.OK, "a list narrowed to the name is");
    }

    [Test]
    public async Task Unauthenticated_and_unknown_and_revoked_tokens_are_treated_as_the_real_server_treats_them()
    {
        await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "gone" } }, "default");
        var revoked = Emulator.IssueServiceAccountToken("default", "gone");
        await Client.CoreV1.DeleteNamespacedServiceAccountAsync("gone", "default");

        var anonymous = await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces");
        var anonymousVersion = await RawHttp.GetAsync(Emulator.BaseAddress, "/version");
        var anonymousDiscovery = await RawHttp.GetAsync(Emulator.BaseAddress, "/api");
        var unknown = await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces", token: "garbage");
        var deleted = await RawHttp.GetAsync(Emulator.BaseAddress, "/version", token: revoked);
        var discovery = await RawHttp.GetAsync(Emulator.BaseAddress, "/apis", token: Emulator.IssueUserToken("jane"));

        anonymous.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403}""");
        anonymousVersion.Code.Should().Be(HttpStatusCode.OK, "version and health are public");
        anonymousDiscovery.Code.Should().Be(HttpStatusCode.Forbidden, "discovery is for authenticated users");
        unknown.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""");
        deleted.Code.Should().Be(HttpStatusCode.Unauthorized, "the token of a deleted ServiceAccount is no longer valid");
        discovery.Code.Should().Be(HttpStatusCode.OK);
        (await Client.CoreV1.ListNamespaceAsync()).Items.Should().NotBeEmpty("the emulator's own client is the admin");
    }
}

/// <summary>With RBAC off (the default) every request is allowed, as the emulator always was.</summary>
[TestFixture]
public sealed class KubeApiEmulatorRbacOffTests : EmulatorTestBase
{
    [Test]
    public async Task Without_enforcement_any_token_or_none_may_do_anything()
    {
        await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "default");
        var robot = Emulator.IssueServiceAccountToken("default", "robot");

        (await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces")).Code.Should().Be(HttpStatusCode.OK);
        (await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces", token: "any")).Code.Should().Be(HttpStatusCode.OK);
        (await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Delete, "/api/v1/namespaces/default/serviceaccounts/robot", token: robot)).Code.Should().Be(HttpStatusCode.OK);
        Emulator.Requests.Entries.Last().User.Should().Be("system:serviceaccount:default:robot");
    }
}
