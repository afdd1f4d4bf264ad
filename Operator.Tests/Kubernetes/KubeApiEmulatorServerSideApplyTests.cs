using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// Server-side apply with field ownership, over HTTP and with the real kubectl. Every expectation (objects,
/// managedFields, messages) is what a real kube-apiserver v1.32.13 answered to the same sequence of requests.
/// </summary>
[TestFixture]
public sealed class KubeApiEmulatorServerSideApplyTests : EmulatorTestBase
{
    private const string ApplyType = "application/apply-patch+yaml";

    private static string Config(string name, string spec) =>
        $"apiVersion: {Group}/{Version}\nkind: ECSCluster\nmetadata: {{name: {name}, namespace: default}}\nspec:\n{spec}";

    private Task<RawResponse> Apply(string name, string manager, string yaml, bool force = false) =>
        RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Patch, $"{ClusterPath}/{name}?fieldManager={manager}{(force ? "&force=true" : "")}", yaml, ApplyType);

    private Task<RawResponse> Get(string name) => RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/{name}");

    private static IEnumerable<(string Manager, string Operation, string Fields)> Owners(RawResponse r) =>
        RawHttp.ManagedFields(r.Body).Select(m => (m.Manager, m.Operation, m.Fields));

    private const string A1 = "  providerRef: {name: p}\n  clusterName: c7\n  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n  - {capacityProvider: FARGATE, weight: 1}\n";

    [Test]
    public async Task An_apply_creates_the_object_and_owns_exactly_its_configuration_not_the_defaults()
    {
        var created = await Apply("c7", "m1", Config("c7", A1));

        created.Code.Should().Be(HttpStatusCode.Created, created.Text);
        Owners(created).Should().Equal(("m1", "Apply",
            """{"f:spec":{"f:capacityProviders":{"v:\"FARGATE\"":{},"v:\"FARGATE_SPOT\"":{}},"f:clusterName":{},"f:defaultCapacityProviderStrategy":{"k:{\"capacityProvider\":\"FARGATE\"}":{".":{},"f:capacityProvider":{},"f:weight":{}}},"f:providerRef":{"f:name":{}}}}"""));
        created.Object["spec"].ShouldEqualJson("""{"providerRef":{"name":"p"},"clusterName":"c7","capacityProviders":["FARGATE","FARGATE_SPOT"],"defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}],"settings":[{"name":"containerInsights","value":"enabled"}],"deletionPolicy":"Delete"}""");
    }

    [Test]
    public async Task Fields_a_manager_stops_applying_are_removed_unless_another_manager_owns_them()
    {
        await Apply("c7", "m1", Config("c7", A1));
        var shared = await Apply("c7", "m2", Config("c7", "  capacityProviders: [FARGATE_SPOT]\n"));
        var dropped = await Apply("c7", "m1", Config("c7", "  providerRef: {name: p}\n  clusterName: c7\n  capacityProviders: []\n"));

        shared.Object["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>().Should().Be("m2");
        shared.Object["metadata"]!["managedFields"]![0]!["time"].Should().BeNull("an apply that changes nothing records no time");
        Owners(dropped).Should().Equal(
            ("m2", "Apply", """{"f:spec":{"f:capacityProviders":{"v:\"FARGATE_SPOT\"":{}}}}"""),
            ("m1", "Apply", """{"f:spec":{"f:clusterName":{},"f:providerRef":{"f:name":{}}}}"""));
        dropped.Object["spec"]!["capacityProviders"].ShouldEqualJson("""["FARGATE_SPOT"]""");
        dropped.Object["spec"]!["defaultCapacityProviderStrategy"].Should().BeNull("m1 no longer applies it and nobody else owns it");
    }

    [Test]
    public async Task An_empty_list_applied_over_the_managers_own_list_is_stored_as_an_absent_field()
    {
        var spec = "  providerRef: {name: p}\n  clusterName: c5\n";
        await Apply("c5", "m1", Config("c5", spec + "  capacityProviders: [FARGATE, FARGATE_SPOT]\n"));

        var cleared = await Apply("c5", "m1", Config("c5", spec + "  capacityProviders: []\n"));

        cleared.Code.Should().Be(HttpStatusCode.OK, cleared.Text);
        cleared.Object["spec"]!.AsObject().ContainsKey("capacityProviders").Should().BeFalse();
        cleared.Object["spec"].ShouldEqualJson("""{"providerRef":{"name":"p"},"clusterName":"c5","deletionPolicy":"Delete","settings":[{"name":"containerInsights","value":"enabled"}]}""");
        Owners(cleared).Should().Equal(("m1", "Apply", """{"f:spec":{"f:clusterName":{},"f:providerRef":{"f:name":{}}}}"""));
    }

    [Test]
    public async Task Changing_a_field_another_applier_owns_is_a_409_naming_the_field_of_a_map_list_item()
    {
        await Apply("c7", "m1", Config("c7", A1));
        await Apply("c7", "m2", Config("c7", "  capacityProviders: [FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n  - {capacityProvider: FARGATE_SPOT, weight: 2}\n"));

        var conflict = await Apply("c7", "m3", Config("c7", "  capacityProviders: [FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n  - {capacityProvider: FARGATE_SPOT, weight: 3}\n"));

        conflict.Code.Should().Be(HttpStatusCode.Conflict);
        conflict.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"m2\": .spec.defaultCapacityProviderStrategy[capacityProvider=\"FARGATE_SPOT\"].weight","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"m2\"","field":".spec.defaultCapacityProviderStrategy[capacityProvider=\"FARGATE_SPOT\"].weight"}]},"code":409}""");
        (await Get("c7")).Object["spec"]!["defaultCapacityProviderStrategy"]![1]!["weight"]!.GetValue<int>().Should().Be(2, "nothing was written");
    }

    /// <summary>A client-side kubectl apply, then appliers without kubectl's migration, as on the real server.</summary>
    [Test]
    public async Task Conflicts_with_an_updater_name_its_apiVersion_and_force_moves_the_fields()
    {
        var lastApplied = """{"apiVersion":"GROUPVERSION","kind":"ECSCluster","metadata":{"annotations":{},"labels":{"app":"x"},"name":"c3","namespace":"default"},"spec":{"capacityProviders":["FARGATE","FARGATE_SPOT"],"clusterName":"c3","defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}],"providerRef":{"name":"p"},"tags":{"a":"b"}}}""".Replace("GROUPVERSION", $"{Group}/{Version}", StringComparison.Ordinal);
        var body = JsonNode.Parse(lastApplied)!.AsObject();
        body["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = lastApplied + "\n" };
        (await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Post, $"{ClusterPath}?fieldManager=kubectl-client-side-apply", body.ToJsonString())).Code.Should().Be(HttpStatusCode.Created);

        var agree = await Apply("c3", "other", Config("c3", "  providerRef: {name: p}\n  clusterName: c3\n  capacityProviders: [FARGATE_SPOT]\n"));
        var changed = Config("c3", "  clusterName: c3\n  capacityProviders: [FARGATE_SPOT, X]\n  providerRef: {name: q}\n  tags: {a: z}\n");
        var refused = await Apply("c3", "other", changed);
        var forced = await Apply("c3", "other", changed, force: true);
        var nulled = await Apply("c3", "other", Config("c3", "  clusterName: c3\n  capacityProviders: []\n  providerRef: {name: q}\n"));

        agree.Code.Should().Be(HttpStatusCode.OK);
        agree.Object["spec"]!["capacityProviders"].ShouldEqualJson("""["FARGATE","FARGATE_SPOT"]""");
        refused.Code.Should().Be(HttpStatusCode.Conflict);
        refused.Message.Should().Be($"Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using {Group}/{Version}:\n- .spec.providerRef.name\n- .spec.tags.a");
        refused.Object["details"].ShouldEqualJson($$$"""{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"kubectl-client-side-apply\" using {{{Group}}}/{{{Version}}}","field":".spec.providerRef.name"},{"reason":"FieldManagerConflict","message":"conflict with \"kubectl-client-side-apply\" using {{{Group}}}/{{{Version}}}","field":".spec.tags.a"}]}""");
        Owners(forced).Should().Equal(
            ("other", "Apply", """{"f:spec":{"f:capacityProviders":{"v:\"FARGATE_SPOT\"":{},"v:\"X\"":{}},"f:clusterName":{},"f:providerRef":{"f:name":{}},"f:tags":{"f:a":{}}}}"""),
            ("kubectl-client-side-apply", "Update", """{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:capacityProviders":{".":{},"v:\"FARGATE\"":{},"v:\"FARGATE_SPOT\"":{}},"f:clusterName":{},"f:defaultCapacityProviderStrategy":{".":{},"k:{\"capacityProvider\":\"FARGATE\"}":{".":{},"f:capacityProvider":{},"f:weight":{}}},"f:deletionPolicy":{},"f:providerRef":{},"f:settings":{".":{},"k:{\"name\":\"containerInsights\"}":{".":{},"f:name":{},"f:value":{}}},"f:tags":{}}}"""));
        forced.Object["spec"].ShouldEqualJson("""{"capacityProviders":["FARGATE","FARGATE_SPOT","X"],"clusterName":"c3","defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}],"providerRef":{"name":"q"},"tags":{"a":"z"},"settings":[{"name":"containerInsights","value":"enabled"}],"deletionPolicy":"Delete"}""");
        // The prune empties tags, which the updater still owns, so they become null: the shipped CRD marks tags nullable
        // for exactly this (without it the real server refuses the apply with "spec.tags in body must be of type object").
        nulled.Code.Should().Be(HttpStatusCode.OK);
        nulled.Object["spec"]!.AsObject().TryGetPropertyValue("tags", out var tags).Should().BeTrue();
        tags.Should().BeNull();
    }

    [Test]
    public async Task Applying_the_same_configuration_again_writes_nothing()
    {
        var first = await Apply("c7", "m1", Config("c7", A1));

        var again = await Apply("c7", "m1", Config("c7", A1));

        again.Code.Should().Be(HttpStatusCode.OK);
        Rv(again.Object).Should().Be(Rv(first.Object));
        Emulator.CurrentResourceVersion.Should().Be(long.Parse(Rv(first.Object), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task A_dry_run_apply_stores_nothing()
    {
        var dry = await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Patch, $"{ClusterPath}/c7?fieldManager=m1&dryRun=All", Config("c7", A1), ApplyType);

        dry.Code.Should().Be(HttpStatusCode.Created);
        dry.Object["metadata"]!["managedFields"].Should().NotBeNull();
        (await Get("c7")).Code.Should().Be(HttpStatusCode.NotFound);
    }

    [TestCase("", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", 422)]
    [TestCase("?fieldManager=m&fieldValidation=Ignore", "failed to create typed patch object (default/c7; aws-infra-operator.runner.codes/v1alpha1, Kind=ECSCluster): .spec.bogus: field not declared in schema", 500)]
    public async Task An_apply_is_refused_as_the_real_server_refuses_it(string query, string message, int code)
    {
        var answer = await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Patch, $"{ClusterPath}/c7{query}", Config("c7", "  clusterName: c7\n  bogus: 1\n"), ApplyType);

        ((int)answer.Code).Should().Be(code);
        answer.Message.Should().Be(message);
    }

    [Test]
    public async Task Malformed_apply_requests_get_the_real_errors()
    {
        await Apply("c7", "m1", Config("c7", A1));

        var force = await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Patch, $"{ClusterPath}/c7?force=false", "{}", "application/merge-patch+json");
        var version = await Apply("c7", "m1", Config("c7", A1).Replace(Version, "v1beta9", StringComparison.Ordinal));
        var kind = await Apply("c7", "m1", Config("c7", A1).Replace("kind: ECSCluster\n", "", StringComparison.Ordinal));
        var managed = await Apply("c7", "m1", $"apiVersion: {Group}/{Version}\nkind: ECSCluster\nmetadata: {{name: c7, namespace: default, managedFields: []}}\n");

        (force.Code, force.Message).Should().Be(((HttpStatusCode)422, "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"));
        (version.Code, version.Message).Should().Be((HttpStatusCode.BadRequest, $"invalid object type: {Group}/v1beta9, Kind=ECSCluster"));
        (kind.Code, kind.Message).Should().Be((HttpStatusCode.BadRequest, $"invalid object type: {Group}/{Version}, Kind="));
        (managed.Code, managed.Message).Should().Be((HttpStatusCode.BadRequest, "metadata.managedFields must be nil"));
    }

    /// <summary>
    /// kubectl apply, then kubectl apply --server-side with capacityProviders: [] — kubectl moves the client-side
    /// apply's fields to its own applier first, so the apply removes the list (the issue's real observation).
    /// </summary>
    [Test]
    public async Task Kubectl_server_side_apply_after_client_side_apply_removes_an_emptied_list()
    {
        if (!File.Exists(KubectlProcess.Binary) && KubectlProcess.Binary.StartsWith('/'))
        {
            Assert.Ignore("kubectl is not installed");
        }

        var home = Path.Combine(Path.GetTempPath(), "kubectl-ssa-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var kubeconfig = Emulator.WriteKubeconfig(Path.Combine(home, "kubeconfig"));
            var full = Path.Combine(home, "c4.yaml");
            var empty = Path.Combine(home, "c4-empty.yaml");
            var spec = "  providerRef: {name: p}\n  clusterName: c4\n";
            await File.WriteAllTextAsync(full, Config("c4", spec + "  capacityProviders: [FARGATE, FARGATE_SPOT]\n"));
            await File.WriteAllTextAsync(empty, Config("c4", spec + "  capacityProviders: []\n"));

            async Task Kubectl(params string[] args)
            {
                using var p = KubectlProcess.Start(kubeconfig, home, args);
                await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
                p.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)}: {p.Stderr}");
            }

            await Kubectl("apply", "-f", full);
            await Kubectl("apply", "--server-side", "-f", empty);

            var stored = await Get("c4");
            stored.Object["spec"].ShouldEqualJson("""{"providerRef":{"name":"p"},"clusterName":"c4","settings":[{"name":"containerInsights","value":"enabled"}],"deletionPolicy":"Delete"}""");
            Owners(stored).Should().Equal(
                ("kubectl-last-applied", "Apply", """{"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}"""),
                ("kubectl", "Apply", """{"f:spec":{"f:clusterName":{},"f:providerRef":{"f:name":{}}}}"""));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
