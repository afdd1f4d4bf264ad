using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// metadata.managedFields on every write, over HTTP. The expected FieldsV1 are what a real kube-apiserver v1.32.13
/// answered to the same requests (recorded in docs/kubernetes-api-emulator.md).
/// </summary>
[TestFixture]
public sealed class KubeApiEmulatorManagedFieldsTests : EmulatorTestBase
{

    /// <summary>What kubectl-create owned on the real server after creating this object (defaults included).</summary>
    private const string CreatedFields =
        """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:capacityProviders":{".":{},"v:\"FARGATE\"":{},"v:\"FARGATE_SPOT\"":{}},"f:clusterName":{},"f:defaultCapacityProviderStrategy":{".":{},"k:{\"capacityProvider\":\"FARGATE\"}":{".":{},"f:capacityProvider":{},"f:weight":{}}},"f:deletionPolicy":{},"f:providerRef":{".":{},"f:name":{}},"f:settings":{".":{},"k:{\"name\":\"containerInsights\"}":{".":{},"f:name":{},"f:value":{}}},"f:tags":{".":{},"f:a":{}}}}""";

    private FakeTimeProvider _time = null!;

    /// <summary>A fresh clock per test (the fixture instance is shared), at the time of the real server's run.</summary>
    protected override KubeApiEmulatorOptions Options()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 6, 55, 25, TimeSpan.Zero));
        return new() { CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"), TimeProvider = _time };
    }

    private static string FullCluster(string name) => """
        {"apiVersion":"GROUPVERSION","kind":"ECSCluster","metadata":{"name":"NAME","labels":{"app":"x"}},
         "spec":{"providerRef":{"name":"p"},"clusterName":"NAME","capacityProviders":["FARGATE","FARGATE_SPOT"],
                 "defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}],"tags":{"a":"b"}}}
        """.Replace("GROUPVERSION", $"{Group}/{Version}", StringComparison.Ordinal).Replace("NAME", name, StringComparison.Ordinal);

    private Task<RawResponse> Send(HttpMethod method, string path, string? body = null, string contentType = "application/json", string? userAgent = null) =>
        RawHttp.SendAsync(Emulator.BaseAddress, method, path, body, contentType, userAgent);

    private Task<RawResponse> MergePatch(string path, string body, string? userAgent = null) =>
        Send(HttpMethod.Patch, path, body, "application/merge-patch+json", userAgent);

    [Test]
    public async Task A_create_is_an_Update_by_its_field_manager_owning_every_field_it_set_including_defaults()
    {
        var created = await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=kubectl-create", FullCluster("c1"));

        created.Code.Should().Be(HttpStatusCode.Created, created.Text);
        var entry = created.Object["metadata"]!["managedFields"]!.AsArray().Single()!;
        entry["manager"]!.GetValue<string>().Should().Be("kubectl-create");
        entry["operation"]!.GetValue<string>().Should().Be("Update");
        entry["apiVersion"]!.GetValue<string>().Should().Be($"{Group}/{Version}");
        entry["time"]!.GetValue<string>().Should().Be("2026-12-06T06:55:25Z");
        entry["fieldsType"]!.GetValue<string>().Should().Be("FieldsV1");
        entry["subresource"].Should().BeNull();
        RawHttp.Compact(entry["fieldsV1"]).Should().Be(CreatedFields);
        RawHttp.ManagedFields((await RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/c1")).Body).Single().Fields.Should().Be(CreatedFields, "reads serve them too");
    }

    [Test]
    public async Task The_manager_is_the_fieldManager_parameter_else_the_user_agent_before_its_first_slash_else_unknown()
    {
        await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=kubectl-create", FullCluster("c1"));
        _time.Advance(TimeSpan.FromSeconds(14));

        await MergePatch($"{ClusterPath}/c1", """{"spec":{"tags":{"c":"d"}}}""", userAgent: "foo-agent/1.2 (linux) bar/3");
        await MergePatch($"{ClusterPath}/c1/status", """{"status":{"ready":true}}""", userAgent: "op/1");
        var last = await MergePatch($"{ClusterPath}/c1", """{"metadata":{"labels":{"z":"1"}}}""");

        RawHttp.ManagedFields(last.Body).Should().Equal(
            ("kubectl-create", "Update", "", CreatedFields),
            ("foo-agent", "Update", "", """{"f:spec":{"f:tags":{"f:c":{}}}}"""),
            ("op", "Update", "status", """{"f:status":{".":{},"f:ready":{}}}"""),
            ("unknown", "Update", "", """{"f:metadata":{"f:labels":{"f:z":{}}}}"""));
        last.Object["metadata"]!["managedFields"]![1]!["time"]!.GetValue<string>().Should().Be("2026-12-06T06:55:39Z");
    }

    [Test]
    public async Task A_field_changed_by_another_manager_moves_to_it_and_a_removed_field_leaves_every_owner()
    {
        await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=first", FullCluster("c6"));
        await MergePatch($"{ClusterPath}/c6?fieldManager=second", """{"spec":{"tags":{"a":"changed"},"capacityProviders":["FARGATE","EC2"]}}""");
        var third = await MergePatch($"{ClusterPath}/c6?fieldManager=third", """{"spec":{"providerRef":{"name":"q"}}}""");
        var fourth = await MergePatch($"{ClusterPath}/c6?fieldManager=fourth", """{"spec":{"tags":null}}""");

        RawHttp.ManagedFields(third.Body).Select(m => (m.Manager, m.Fields)).Should().Equal(
            ("first", """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:capacityProviders":{".":{},"v:\"FARGATE\"":{}},"f:clusterName":{},"f:defaultCapacityProviderStrategy":{".":{},"k:{\"capacityProvider\":\"FARGATE\"}":{".":{},"f:capacityProvider":{},"f:weight":{}}},"f:deletionPolicy":{},"f:providerRef":{},"f:settings":{".":{},"k:{\"name\":\"containerInsights\"}":{".":{},"f:name":{},"f:value":{}}},"f:tags":{}}}"""),
            ("second", """{"f:spec":{"f:capacityProviders":{"v:\"EC2\"":{}},"f:tags":{"f:a":{}}}}"""),
            ("third", """{"f:spec":{"f:providerRef":{"f:name":{}}}}"""));
        RawHttp.ManagedFields(fourth.Body).Select(m => (m.Manager, m.Fields)).Should().Equal(
            ("first", """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:capacityProviders":{".":{},"v:\"FARGATE\"":{}},"f:clusterName":{},"f:defaultCapacityProviderStrategy":{".":{},"k:{\"capacityProvider\":\"FARGATE\"}":{".":{},"f:capacityProvider":{},"f:weight":{}}},"f:deletionPolicy":{},"f:providerRef":{},"f:settings":{".":{},"k:{\"name\":\"containerInsights\"}":{".":{},"f:name":{},"f:value":{}}}}}"""),
            ("second", """{"f:spec":{"f:capacityProviders":{"v:\"EC2\"":{}}}}"""),
            ("third", """{"f:spec":{"f:providerRef":{"f:name":{}}}}"""));
    }

    [Test]
    public async Task Every_kind_gets_them_in_the_real_shape()
    {
        var lease = await Send(HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/default/leases",
            """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l1"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15,"acquireTime":"2024-01-01T00:00:00.000000Z","renewTime":"2024-01-01T00:00:00.000000Z","leaseTransitions":0}}""",
            userAgent: "leaser/1");
        var empty = await Send(HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/default/leases",
            """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l2"}}""", userAgent: "leaser/1");
        var ev = await Send(HttpMethod.Post, "/api/v1/namespaces/default/events",
            """{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1"},"involvedObject":{"kind":"ECSCluster","name":"c1","namespace":"default","apiVersion":"aws-infra-operator.runner.codes/v1alpha1"},"reason":"Created","message":"m","type":"Normal","count":1,"firstTimestamp":"2024-01-01T00:00:00Z","lastTimestamp":"2024-01-01T00:00:00Z","source":{"component":"op"}}""",
            userAgent: "recorder/1");
        var secret = await Send(HttpMethod.Post, "/api/v1/namespaces/default/secrets",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1","labels":{"a":"b"}},"stringData":{"k":"v"}}""", userAgent: "sec/1");
        var configMap = await Send(HttpMethod.Post, "/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm9"},"data":{"k":"v"}}""", userAgent: "cm/1");
        var ns = await Send(HttpMethod.Post, "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"t9"}}""", userAgent: "nsc/1");

        RawHttp.ManagedFields(lease.Body).Should().Equal(("leaser", "Update", "",
            """{"f:spec":{"f:acquireTime":{},"f:holderIdentity":{},"f:leaseDurationSeconds":{},"f:leaseTransitions":{},"f:renewTime":{}}}"""));
        empty.Object["metadata"]!["managedFields"].Should().BeNull("a create that sets nothing of its own owns nothing");
        RawHttp.ManagedFields(ev.Body).Should().Equal(("recorder", "Update", "",
            """{"f:count":{},"f:firstTimestamp":{},"f:involvedObject":{},"f:lastTimestamp":{},"f:message":{},"f:reason":{},"f:source":{"f:component":{}},"f:type":{}}"""));
        RawHttp.ManagedFields(secret.Body).Should().Equal(("sec", "Update", "",
            """{"f:data":{".":{},"f:k":{}},"f:metadata":{"f:labels":{".":{},"f:a":{}}},"f:type":{}}"""));
        RawHttp.ManagedFields(configMap.Body).Should().Equal(("cm", "Update", "", """{"f:data":{".":{},"f:k":{}}}"""));
        RawHttp.ManagedFields(ns.Body).Should().Equal(("nsc", "Update", "", """{"f:metadata":{"f:labels":{".":{},"f:kubernetes.io/metadata.name":{}}}}"""));
    }

    [Test]
    public async Task Every_write_verb_records_its_manager()
    {
        var client = Emulator.CreateClient(EcsOperatorModule.Json);
        await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=creator", FullCluster("c1"));
        var current = (await RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/c1")).Object;
        current["spec"]!["tags"]!["put"] = "1";
        await Send(HttpMethod.Put, $"{ClusterPath}/c1?fieldManager=putter", current.ToJsonString());
        await Send(HttpMethod.Patch, $"{ClusterPath}/c1?fieldManager=jsonpatcher", """[{"op":"add","path":"/spec/tags/json","value":"1"}]""", "application/json-patch+json");
        await Send(HttpMethod.Patch, $"{ClusterPath}/c1?fieldManager=applier", """{"apiVersion":"GROUPVERSION","kind":"ECSCluster","metadata":{"name":"c1"},"spec":{"tags":{"apply":"1"}}}""".Replace("GROUPVERSION", $"{Group}/{Version}", StringComparison.Ordinal), "application/apply-patch+yaml");
        await Send(HttpMethod.Patch, $"{ClusterPath}/c1/status?fieldManager=statuswriter", """{"status":{"ready":true}}""", "application/merge-patch+json");
        await Send(HttpMethod.Post, "/api/v1/namespaces/default/configmaps?fieldManager=cm-creator", """{"metadata":{"name":"cm"},"data":{"a":"1"}}""");
        var cm = await Send(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/cm?fieldManager=strategic", """{"data":{"b":"2"}}""", "application/strategic-merge-patch+json");

        var managers = RawHttp.ManagedFields((await RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/c1")).Body).Select(m => (m.Manager, m.Operation, m.Subresource)).ToList();
        managers.Should().BeEquivalentTo([("creator", "Update", ""), ("putter", "Update", ""), ("jsonpatcher", "Update", ""), ("applier", "Apply", ""), ("statuswriter", "Update", "status")]);
        RawHttp.ManagedFields(cm.Body).Select(m => (m.Manager, m.Fields)).Should().Equal(
            ("cm-creator", """{"f:data":{".":{},"f:a":{}}}"""), ("strategic", """{"f:data":{"f:b":{}}}"""));
        (await client.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Single().Metadata.ManagedFields.Should().HaveCount(2, "the typed client reads them");
    }

    [Test]
    public async Task A_write_that_changes_nothing_changes_no_managedFields_and_no_resourceVersion()
    {
        var created = await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=creator", FullCluster("c1"));
        _time.Advance(TimeSpan.FromMinutes(1));

        var again = await MergePatch($"{ClusterPath}/c1?fieldManager=other", """{"spec":{"tags":{"a":"b"}}}""");

        Rv(again.Object).Should().Be(Rv(created.Object));
        RawHttp.Compact(again.Object["metadata"]!["managedFields"]).Should().Be(RawHttp.Compact(created.Object["metadata"]!["managedFields"]));
    }

    /// <summary>The five cases a real server was asked: what a PUT's own managedFields do to the stored ones.</summary>
    [Test]
    public async Task Managed_fields_sent_with_an_update_are_kept_replaced_or_cleared_as_the_real_server_does()
    {
        await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=creator", FullCluster("c1"));

        async Task<IReadOnlyList<(string Manager, string Operation, string Subresource, string Fields)>> Put(Action<JsonObject> edit, string tag)
        {
            var obj = (await RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/c1")).Object;
            edit(obj);
            obj["spec"]!["tags"]![tag] = "1";
            var put = await Send(HttpMethod.Put, $"{ClusterPath}/c1", obj.ToJsonString(), userAgent: "putter/1");
            put.Code.Should().Be(HttpStatusCode.OK, put.Text);
            return RawHttp.ManagedFields(put.Body);
        }

        (await Put(o => ((JsonObject)o["metadata"]!).Remove("managedFields"), "absent")).Select(m => m.Manager).Should().Equal("creator", "putter");
        (await Put(o => o["metadata"]!["managedFields"] = null, "null")).Select(m => m.Manager).Should().Equal("creator", "putter");
        (await Put(o => o["metadata"]!["managedFields"] = JsonNode.Parse("""[{"manager":"x","operation":"Foo","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{}}]"""), "invalid"))
            .Select(m => m.Manager).Should().Equal(["creator", "putter"], "managedFields that do not decode are ignored");
        (await Put(o => o["metadata"]!["managedFields"] = new JsonArray(), "emptylist"))
            .Select(m => m.Manager).Should().Equal(["creator", "putter"], "a custom resource's decoder reads [] as absent");
        (await Put(o => o["metadata"]!["managedFields"] = JsonNode.Parse("""[{"manager":"mine","operation":"Apply","apiVersion":"GROUPVERSION","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:clusterName":{}}}}]""".Replace("GROUPVERSION", $"{Group}/{Version}", StringComparison.Ordinal)), "custom"))
            .Should().Equal(("mine", "Apply", "", """{"f:spec":{"f:clusterName":{}}}"""), ("putter", "Update", "", """{"f:spec":{"f:tags":{"f:custom":{}}}}"""));
        (await Put(o => o["metadata"]!["managedFields"] = JsonNode.Parse("[{}]"), "reset")).Should().BeEmpty("[{}] clears them");
        (await Put(_ => { }, "untracked")).Should().BeEmpty("an object whose managedFields were cleared is not tracked again by updates");
    }

    [Test]
    public async Task A_built_in_kind_clears_them_on_an_empty_list_and_stays_untracked()
    {
        await Send(HttpMethod.Post, "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create", """{"metadata":{"name":"cm1"},"data":{"a":"b"}}""");
        var obj = (await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces/default/configmaps/cm1")).Object;
        obj["metadata"]!["managedFields"] = new JsonArray();
        obj["data"]!["x"] = "1";

        var cleared = await Send(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/cm1", obj.ToJsonString(), userAgent: "putter/1");
        var next = await MergePatch("/api/v1/namespaces/default/configmaps/cm1", """{"data":{"y":"1"}}""", "putter/1");

        cleared.Object["metadata"]!["managedFields"].Should().BeNull();
        next.Object["metadata"]!["managedFields"].Should().BeNull();
    }

    [Test]
    public async Task A_status_write_keeps_the_stored_managedFields_whatever_it_sends()
    {
        await Send(HttpMethod.Post, $"{ClusterPath}?fieldManager=creator", FullCluster("c1"));
        var obj = (await RawHttp.GetAsync(Emulator.BaseAddress, $"{ClusterPath}/c1")).Object;
        obj["metadata"]!["managedFields"] = JsonNode.Parse("[{}]");
        obj["status"] = new JsonObject { ["ready"] = true };

        var put = await Send(HttpMethod.Put, $"{ClusterPath}/c1/status?fieldManager=statuswriter", obj.ToJsonString());

        RawHttp.ManagedFields(put.Body).Select(m => (m.Manager, m.Subresource, m.Fields)).Should().Equal(
            ("creator", "", CreatedFields), ("statuswriter", "status", """{"f:status":{".":{},"f:ready":{}}}"""));
    }

    [Test]
    public async Task More_than_ten_update_managers_are_folded_into_ancient_changes()
    {
        await Send(HttpMethod.Post, "/api/v1/namespaces/default/configmaps?fieldManager=m00", """{"metadata":{"name":"cm"},"data":{"k00":"v"}}""");
        for (var i = 1; i <= 11; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await MergePatch($"/api/v1/namespaces/default/configmaps/cm?fieldManager=m{i:00}", """{"data":{"kINDEX":"v"}}""".Replace("INDEX", $"{i:00}", StringComparison.Ordinal));
        }

        var managers = RawHttp.ManagedFields((await RawHttp.GetAsync(Emulator.BaseAddress, "/api/v1/namespaces/default/configmaps/cm")).Body);
        managers.Should().HaveCount(10);
        managers.Select(m => m.Manager).Should().Contain("ancient-changes").And.NotContain("m00").And.NotContain("m01").And.NotContain("m02").And.Contain("m11");
        managers.Single(m => m.Manager == "ancient-changes").Fields.Should().Be("""{"f:data":{".":{},"f:k00":{},"f:k01":{},"f:k02":{}}}""");
    }

    [Test]
    public async Task The_typed_client_reads_leases_with_managedFields_as_the_operator_does()
    {
        var client = Emulator.CreateClient(EcsOperatorModule.Json);
        await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "leader" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15 },
        }, "default");

        var read = await client.CoordinationV1.ReadNamespacedLeaseAsync("leader", "default");

        read.Metadata.ManagedFields.Should().ContainSingle().Which.Manager.Should().NotBeNullOrEmpty();
        read.Metadata.ManagedFields[0].FieldsV1.Should().NotBeNull("a Lease read back carries FieldsV1, which a client that writes it back must handle");
    }
}
