namespace Operator.Tests.Kubernetes;

/// <summary>Create/get/update/patch/delete semantics of the emulator through the real KubernetesClient.</summary>
[TestFixture]
public sealed class KubeApiEmulatorCrudTests : EmulatorTestBase
{
    [Test]
    public async Task Create_sets_server_fields_and_get_returns_the_object()
    {
        var created = await CreateClusterAsync(Cluster("a"));

        created["metadata"]!["uid"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        created["metadata"]!["creationTimestamp"]!.GetValue<string>().Should().EndWith("Z");
        Generation(created).Should().Be(1);
        var got = await GetClusterAsync("a");
        Rv(got).Should().Be(Rv(created));
        got["spec"]!["clusterName"]!.GetValue<string>().Should().Be("c1");
        got["apiVersion"]!.GetValue<string>().Should().Be($"{Group}/{Version}");
    }

    [Test]
    public async Task Resource_versions_come_from_one_counter_across_kinds()
    {
        var a = await CreateClusterAsync(Cluster("a"));
        var secret = await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default");
        var b = await CreateClusterAsync(Cluster("b"));

        long.Parse(secret.Metadata.ResourceVersion).Should().Be(long.Parse(Rv(a)) + 1);
        long.Parse(Rv(b)).Should().Be(long.Parse(secret.Metadata.ResourceVersion) + 1);
    }

    [Test]
    public async Task Missing_object_is_404_with_a_real_status_body()
    {
        var (code, status) = await FailureOf(() => GetClusterAsync("nope"));

        code.Should().Be(HttpStatusCode.NotFound);
        status["kind"]!.GetValue<string>().Should().Be("Status");
        status["reason"]!.GetValue<string>().Should().Be("NotFound");
        status["message"]!.GetValue<string>().Should().Be($"ecsclusters.{Group} \"nope\" not found");
        status["details"]!["name"]!.GetValue<string>().Should().Be("nope");
        status["details"]!["group"]!.GetValue<string>().Should().Be(Group);
        status["details"]!["kind"]!.GetValue<string>().Should().Be("ecsclusters");
    }

    [Test]
    public async Task Duplicate_create_is_409_AlreadyExists()
    {
        await CreateClusterAsync(Cluster("a"));

        var (code, status) = await FailureOf(() => CreateClusterAsync(Cluster("a")));

        code.Should().Be(HttpStatusCode.Conflict);
        status["reason"]!.GetValue<string>().Should().Be("AlreadyExists");
        status["message"]!.GetValue<string>().Should().Be($"ecsclusters.{Group} \"a\" already exists");
    }

    [Test]
    public async Task Create_in_a_missing_namespace_is_404_namespace_not_found()
    {
        var (code, status) = await FailureOf(() => CreateClusterAsync(Cluster("a", "ghost"), "ghost"));

        code.Should().Be(HttpStatusCode.NotFound);
        status["message"]!.GetValue<string>().Should().Be("namespaces \"ghost\" not found");
    }

    [Test]
    public async Task GenerateName_gets_a_random_suffix()
    {
        var body = Cluster("x");
        body["metadata"]!.AsObject().Remove("name");
        body["metadata"]!["generateName"] = "gen-";

        var created = await CreateClusterAsync(body);

        created["metadata"]!["name"]!.GetValue<string>().Should().MatchRegex("^gen-[a-z0-9]{5}$");
    }

    [Test]
    public async Task Default_namespaces_exist()
    {
        var list = await Client.CoreV1.ListNamespaceAsync();

        list.Items.Select(n => n.Metadata.Name).Should().Contain(["default", "kube-system", "kube-public"]);
        list.Items.Should().OnlyContain(n => n.Status.Phase == "Active");
    }

    [Test]
    public async Task Stale_update_is_409_Conflict_with_the_real_message()
    {
        var created = await CreateClusterAsync(Cluster("x"));
        await MergePatchClusterAsync("x", JsonNode.Parse("""{"spec":{"providerRef":{"name":"c2"}}}""")!.AsObject());

        created["spec"]!["providerRef"]!["name"] = "c3";
        var (code, status) = await FailureOf(() => Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, Version, "default", Plural, "x"));

        code.Should().Be(HttpStatusCode.Conflict);
        status["reason"]!.GetValue<string>().Should().Be("Conflict");
        status["message"]!.GetValue<string>().Should().Be(
            $"Operation cannot be fulfilled on ecsclusters.{Group} \"x\": the object has been modified; please apply your changes to the latest version and try again");
    }

    [Test]
    public async Task Update_with_current_version_succeeds_and_bumps_generation_on_spec_change()
    {
        var created = await CreateClusterAsync(Cluster("x"));
        created["spec"]!["providerRef"]!["name"] = "c2";

        var updated = ToNode(await Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, Version, "default", Plural, "x"));

        Generation(updated).Should().Be(2);
        long.Parse(Rv(updated)).Should().BeGreaterThan(long.Parse(Rv(created)));
    }

    [Test]
    public async Task Status_and_spec_are_separate_and_generation_moves_only_with_spec()
    {
        await CreateClusterAsync(Cluster("x"));

        // A main-resource write cannot set status.
        var afterMain = await MergePatchClusterAsync("x", JsonNode.Parse("""{"status":{"ready":true}}""")!.AsObject());
        afterMain["status"].Should().BeNull();

        // A /status write changes status only: spec, labels and annotations in it are ignored; generation unchanged.
        var afterStatus = await MergePatchStatusAsync("x", JsonNode.Parse(
            """{"metadata":{"labels":{"x":"y"}},"spec":{"providerRef":{"name":"zzz"}},"status":{"ready":true,"status":"ACTIVE"}}""")!.AsObject());
        afterStatus["status"]!["ready"]!.GetValue<bool>().Should().BeTrue();
        afterStatus["spec"]!["providerRef"]!["name"]!.GetValue<string>().Should().Be("c1");
        afterStatus["metadata"]!["labels"].Should().BeNull();
        Generation(afterStatus).Should().Be(1);

        // Metadata-only changes bump the resourceVersion but not the generation.
        var afterLabel = await MergePatchClusterAsync("x", JsonNode.Parse("""{"metadata":{"labels":{"team":"a"}}}""")!.AsObject());
        Generation(afterLabel).Should().Be(1);
        long.Parse(Rv(afterLabel)).Should().BeGreaterThan(long.Parse(Rv(afterStatus)));

        // A spec change keeps status and bumps generation.
        var afterSpec = await MergePatchClusterAsync("x", JsonNode.Parse("""{"spec":{"providerRef":{"name":"c9"}}}""")!.AsObject());
        Generation(afterSpec).Should().Be(2);
        afterSpec["status"]!["ready"]!.GetValue<bool>().Should().BeTrue();
    }

    [Test]
    public async Task A_write_that_changes_nothing_keeps_the_resource_version()
    {
        await CreateClusterAsync(Cluster("x"));
        var first = await MergePatchStatusAsync("x", JsonNode.Parse("""{"status":{"ready":true}}""")!.AsObject());
        var writesBefore = Emulator.CurrentResourceVersion;

        var again = await MergePatchStatusAsync("x", JsonNode.Parse("""{"status":{"ready":true}}""")!.AsObject());
        var sameSpec = await MergePatchClusterAsync("x", JsonNode.Parse("""{"spec":{"providerRef":{"name":"c1"}}}""")!.AsObject());

        Rv(again).Should().Be(Rv(first));
        Rv(sameSpec).Should().Be(Rv(first));
        Emulator.CurrentResourceVersion.Should().Be(writesBefore);
    }

    [Test]
    public async Task Json_patch_applies_operations_and_a_failed_test_is_422()
    {
        await CreateClusterAsync(Cluster("x", labels: new JsonObject { ["a"] = "1" }));
        var ops = """
            [{"op":"test","path":"/spec/providerRef/name","value":"c1"},
             {"op":"replace","path":"/spec/providerRef/name","value":"c2"},
             {"op":"add","path":"/metadata/labels/b","value":"2"},
             {"op":"copy","from":"/metadata/labels/a","path":"/metadata/labels/c"},
             {"op":"move","from":"/metadata/labels/a","path":"/metadata/labels/d"},
             {"op":"remove","path":"/metadata/labels/b"}]
            """;

        var patched = ToNode(await Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(ops, V1Patch.PatchType.JsonPatch), Group, Version, "default", Plural, "x"));

        patched["spec"]!["providerRef"]!["name"]!.GetValue<string>().Should().Be("c2");
        patched["metadata"]!["labels"]!.ToJsonString().Should().Be("""{"c":"1","d":"1"}""");

        var bad = """[{"op":"test","path":"/spec/providerRef/name","value":"nope"}]""";
        var (code, status) = await FailureOf(() => Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(bad, V1Patch.PatchType.JsonPatch), Group, Version, "default", Plural, "x"));
        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["message"]!.GetValue<string>().Should().Contain("test failed");
    }

    [Test]
    public async Task Merge_patch_with_stale_resource_version_is_409()
    {
        var created = await CreateClusterAsync(Cluster("x"));
        await MergePatchClusterAsync("x", JsonNode.Parse("""{"spec":{"providerRef":{"name":"c2"}}}""")!.AsObject());

        var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(created) }, ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "c3" } } };
        var (code, _) = await FailureOf(() => MergePatchClusterAsync("x", patch));

        code.Should().Be(HttpStatusCode.Conflict);
    }

    [Test]
    public async Task Delete_without_finalizers_removes_the_object()
    {
        await CreateClusterAsync(Cluster("x"));

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "x", new V1DeleteOptions { PropagationPolicy = "Foreground" });

        var (code, _) = await FailureOf(() => GetClusterAsync("x"));
        code.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Delete_with_finalizers_marks_the_object_until_they_are_removed()
    {
        await CreateClusterAsync(Cluster("x", finalizers: new JsonArray("aws-infra-operator.runner.codes/finalizer")));

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "x");
        var marked = await GetClusterAsync("x");
        marked["metadata"]!["deletionTimestamp"].Should().NotBeNull();
        marked["metadata"]!["deletionGracePeriodSeconds"]!.ToJsonString().Should().Be("0");

        // Deleting again changes nothing; adding a finalizer now is refused.
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "x");
        Rv(await GetClusterAsync("x")).Should().Be(Rv(marked));
        var (code, status) = await FailureOf(() => MergePatchClusterAsync("x", JsonNode.Parse(
            """{"metadata":{"finalizers":["aws-infra-operator.runner.codes/finalizer","other/f"]}}""")!.AsObject()));
        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["reason"]!.GetValue<string>().Should().Be("Invalid");
        status["message"]!.GetValue<string>().Should().Contain("no new finalizers can be added if the object is being deleted");
        status["details"]!["causes"]![0]!["field"]!.GetValue<string>().Should().Be("metadata.finalizers");

        // Removing the last finalizer deletes it.
        await MergePatchClusterAsync("x", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!.AsObject());
        var (gone, _) = await FailureOf(() => GetClusterAsync("x"));
        gone.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Label_selectors_filter_lists()
    {
        await CreateClusterAsync(Cluster("a", labels: new JsonObject { ["env"] = "prod", ["tier"] = "web" }));
        await CreateClusterAsync(Cluster("b", labels: new JsonObject { ["env"] = "dev" }));
        await CreateClusterAsync(Cluster("c"));

        async Task<string[]> Names(string selector)
        {
            var list = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, labelSelector: selector));
            return list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToArray();
        }

        (await Names("env=prod")).Should().Equal("a");
        (await Names("env==dev")).Should().Equal("b");
        (await Names("env!=prod")).Should().Equal("b", "c");
        (await Names("env in (prod,dev)")).Should().Equal("a", "b");
        (await Names("env notin (prod)")).Should().Equal("b", "c");
        (await Names("tier")).Should().Equal("a");
        (await Names("!env")).Should().Equal("c");
        (await Names("env,tier=web")).Should().Equal("a");
    }

    [Test]
    public async Task Field_selectors_filter_by_name_and_namespace()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });
        await CreateClusterAsync(Cluster("a"));
        await CreateClusterAsync(Cluster("b"));
        await CreateClusterAsync(Cluster("a", "other"), "other");

        var byName = ToNode(await Client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, Plural, fieldSelector: "metadata.name=a"));
        var byNs = ToNode(await Client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, Plural, fieldSelector: "metadata.namespace=other"));

        byName["items"]!.AsArray().Should().HaveCount(2);
        byNs["items"]!.AsArray().Select(i => i!["metadata"]!["namespace"]!.GetValue<string>()).Should().Equal("other");
    }

    [Test]
    public async Task Paging_with_limit_and_continue_returns_one_consistent_snapshot()
    {
        for (var i = 0; i < 5; i++)
        {
            await CreateClusterAsync(Cluster($"c{i}"));
        }

        var page1 = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, limit: 2));
        var token = page1["metadata"]!["continue"]!.GetValue<string>();
        var listRv = Rv(page1);
        page1["metadata"]!["remainingItemCount"]!.ToJsonString().Should().Be("3");

        // Changes after the first page do not leak into later pages.
        await CreateClusterAsync(Cluster("c5"));
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "c4");

        var page2 = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, limit: 2, continueParameter: token));
        var page3 = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, limit: 2, continueParameter: page2["metadata"]!["continue"]!.GetValue<string>()));

        var names = new[] { page1, page2, page3 }.SelectMany(p => p["items"]!.AsArray()).Select(i => i!["metadata"]!["name"]!.GetValue<string>());
        names.Should().Equal("c0", "c1", "c2", "c3", "c4");
        Rv(page2).Should().Be(listRv);
        page3["metadata"]!["continue"].Should().BeNull();
    }

    [Test]
    public async Task Continue_token_expires_after_compaction()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateClusterAsync(Cluster($"c{i}"));
        }

        var page1 = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, limit: 1));
        Emulator.Faults.CompactHistory();

        var (code, status) = await FailureOf(() => Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, limit: 1, continueParameter: page1["metadata"]!["continue"]!.GetValue<string>()));
        code.Should().Be(HttpStatusCode.Gone);
        status["reason"]!.GetValue<string>().Should().Be("Expired");
    }

    [Test]
    public async Task Secret_stringData_is_merged_into_base64_data_and_not_stored()
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "creds" },
            Data = new Dictionary<string, byte[]> { ["keep"] = Encoding.UTF8.GetBytes("old") },
            StringData = new Dictionary<string, string> { ["access-key-id"] = "AKIA", ["keep"] = "new" },
        };

        await Client.CoreV1.CreateNamespacedSecretAsync(secret, "default");
        var raw = ToNode(await Client.CoreV1.ReadNamespacedSecretAsync("creds", "default"));

        raw["stringData"].Should().BeNull();
        raw["type"]!.GetValue<string>().Should().Be("Opaque");
        raw["data"]!["access-key-id"]!.GetValue<string>().Should().Be(Convert.ToBase64String(Encoding.UTF8.GetBytes("AKIA")));
        raw["data"]!["keep"]!.GetValue<string>().Should().Be(Convert.ToBase64String(Encoding.UTF8.GetBytes("new")));
    }

    [Test]
    public async Task Events_are_listed_with_involvedObject_field_selectors_in_both_APIs()
    {
        var cluster = await CreateClusterAsync(Cluster("x"));
        var uid = cluster["metadata"]!["uid"]!.GetValue<string>();
        await Client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "x.1" },
            Regarding = new V1ObjectReference { Kind = "ECSCluster", Name = "x", NamespaceProperty = "default", Uid = uid, ApiVersion = $"{Group}/{Version}" },
            Reason = "Created",
            Note = "created the ECS cluster",
            Type = "Normal",
            Action = "Create",
            ReportingController = "ecs-operator",
            ReportingInstance = "ecs-operator-0",
            EventTime = DateTime.UtcNow,
        }, "default");
        await Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "y.1" },
            InvolvedObject = new V1ObjectReference { Kind = "ECSCluster", Name = "y", NamespaceProperty = "default" },
            Reason = "Other",
            Message = "other object",
        }, "default");

        var core = await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.kind=ECSCluster,involvedObject.uid={uid},involvedObject.name=x,involvedObject.namespace=default");

        core.Items.Should().ContainSingle();
        core.Items[0].Message.Should().Be("created the ECS cluster");
        core.Items[0].ReportingComponent.Should().Be("ecs-operator");
        var v1 = await Client.EventsV1.ListNamespacedEventAsync("default", fieldSelector: "regarding.name=y");
        v1.Items.Should().ContainSingle().Which.Note.Should().Be("other object");
    }

    [Test]
    public async Task Leases_support_optimistic_concurrency_as_leader_election_needs()
    {
        // The operator's LeaderElection (Operator.Core/Leadership) creates the Lease once and then replaces it with the
        // resourceVersion it read: a second create and a replace from a stale read must both fail with 409.
        V1Lease Lease(string holder) => new()
        {
            Metadata = new V1ObjectMeta { Name = "ecs-operator", NamespaceProperty = "default" },
            Spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = 15, AcquireTime = DateTime.UtcNow, RenewTime = DateTime.UtcNow },
        };
        var created = await Client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("pod-a"), "default");
        var (createAgain, _) = await FailureOf(() => Client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("pod-b"), "default"));
        createAgain.Should().Be(HttpStatusCode.Conflict, "the lease already exists");

        var read = await Client.CoordinationV1.ReadNamespacedLeaseAsync("ecs-operator", "default");
        read.Spec.HolderIdentity.Should().Be("pod-a");
        read.Metadata.ManagedFields.Should().NotBeEmpty("a real apiserver returns them on every object");
        // Not sent back: the server keeps its own (and the client's generated JSON cannot write FieldsV1).
        read.Metadata.ManagedFields = null;
        read.Spec.RenewTime = DateTime.UtcNow.AddSeconds(1);
        var renewed = await Client.CoordinationV1.ReplaceNamespacedLeaseAsync(read, "ecs-operator", "default");
        renewed.Metadata.ResourceVersion.Should().NotBe(created.Metadata.ResourceVersion);

        read.Spec.HolderIdentity = "pod-b";
        var (stale, status) = await FailureOf(() => Client.CoordinationV1.ReplaceNamespacedLeaseAsync(read, "ecs-operator", "default"));
        stale.Should().Be(HttpStatusCode.Conflict, "its resourceVersion is stale");
        status["reason"]!.GetValue<string>().Should().Be("Conflict");
        (await Client.CoordinationV1.ReadNamespacedLeaseAsync("ecs-operator", "default")).Spec.HolderIdentity.Should().Be("pod-a");
    }

    [Test]
    public async Task Namespace_delete_cascades_and_waits_for_finalized_content()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tmp" } });
        await CreateClusterAsync(Cluster("plain", "tmp"), "tmp");
        await CreateClusterAsync(Cluster("held", "tmp", finalizers: new JsonArray("x/y")), "tmp");

        await Client.CoreV1.DeleteNamespaceAsync("tmp");

        var ns = await Client.CoreV1.ReadNamespaceAsync("tmp");
        ns.Status.Phase.Should().Be("Terminating");
        (await FailureOf(() => GetClusterAsync("plain", "tmp"))).Code.Should().Be(HttpStatusCode.NotFound);
        (await GetClusterAsync("held", "tmp"))["metadata"]!["deletionTimestamp"].Should().NotBeNull();
        (await FailureOf(() => CreateClusterAsync(Cluster("new", "tmp"), "tmp"))).Code.Should().Be(HttpStatusCode.Forbidden);

        await MergePatchClusterAsync("held", JsonNode.Parse("""{"metadata":{"finalizers":[]}}""")!.AsObject(), "tmp");

        (await FailureOf(() => Client.CoreV1.ReadNamespaceAsync("tmp"))).Code.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Crds_can_be_created_listed_and_served_over_http()
    {
        var crd = JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Cluster",
               "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
               "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}
            """)!.AsObject();
        using var http = new HttpClient { BaseAddress = Emulator.BaseAddress };

        var post = await http.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", new StringContent(crd.ToJsonString(), Encoding.UTF8, "application/json"));
        post.StatusCode.Should().Be(HttpStatusCode.Created);

        var crds = await Client.ApiextensionsV1.ListCustomResourceDefinitionAsync();
        crds.Items.Select(c => c.Metadata.Name).Should().Contain(["widgets.example.com", $"ecsclusters.{Group}", $"awsproviders.{Group}"]);
        crds.Items.Single(c => c.Metadata.Name == "widgets.example.com").Status.Conditions.Should().Contain(c => c.Type == "Established" && c.Status == "True");

        var widget = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w1" } };
        await Client.CustomObjects.CreateClusterCustomObjectAsync(widget, "example.com", "v1", "widgets");
        var got = ToNode(await Client.CustomObjects.GetClusterCustomObjectAsync("example.com", "v1", "widgets", "w1"));
        got["metadata"]!["namespace"].Should().BeNull();

        var discovery = JsonNode.Parse(await http.GetStringAsync("/apis/example.com/v1"))!;
        discovery["resources"]![0]!["kind"]!.GetValue<string>().Should().Be("Widget");
    }

    [Test]
    public async Task Discovery_lists_custom_resources_with_status_subresource_and_names()
    {
        using var http = new HttpClient { BaseAddress = Emulator.BaseAddress };

        var list = JsonNode.Parse(await http.GetStringAsync($"/apis/{Group}/{Version}"))!;
        var groups = JsonNode.Parse(await http.GetStringAsync("/apis"))!;
        var version = await Client.Version.GetCodeAsync();

        var ecs = list["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "ecsclusters")!;
        ecs["kind"]!.GetValue<string>().Should().Be("ECSCluster");
        ecs["singularName"]!.GetValue<string>().Should().Be("ecscluster");
        ecs["namespaced"]!.GetValue<bool>().Should().BeTrue();
        ecs["shortNames"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Contain("ecsc");
        ecs["verbs"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Contain(["get", "list", "watch", "patch"]);
        list["resources"]!.AsArray().Should().Contain(r => r!["name"]!.GetValue<string>() == "ecsclusters/status");
        groups["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()).Should().Contain([Group, "coordination.k8s.io", "events.k8s.io", "apiextensions.k8s.io"]);
        version.Major.Should().Be("1");
    }

    [Test]
    public async Task Put_of_a_custom_resource_without_resource_version_is_422()
    {
        await CreateClusterAsync(Cluster("x"));

        var (code, status) = await FailureOf(() => Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Cluster("x", clusterName: "c2"), Group, Version, "default", Plural, "x"));

        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["message"]!.GetValue<string>().Should().Contain("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    }

    [Test]
    public async Task Strategic_merge_patch_works_for_secrets_and_is_415_for_custom_resources()
    {
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s", Labels = new Dictionary<string, string> { ["a"] = "1" } } }, "default");

        var patched = await Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"b":"2"}},"stringData":{"k":"v"}}""", V1Patch.PatchType.StrategicMergePatch), "s", "default");

        patched.Metadata.Labels.Should().Contain("a", "1").And.Contain("b", "2");
        Encoding.UTF8.GetString(patched.Data["k"]).Should().Be("v");
        await CreateClusterAsync(Cluster("x"));
        var (code, _) = await FailureOf(() => Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{}", V1Patch.PatchType.StrategicMergePatch), Group, Version, "default", Plural, "x"));
        code.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [Test]
    public async Task Timestamps_come_from_the_injected_time_provider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var emulator = await Operator.Testing.Kubernetes.KubeApiEmulator.StartAsync(new() { TimeProvider = time });
        using var client = emulator.CreateClient(EcsOperatorModule.Json);

        var ns = await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "t" } });

        ns.Metadata.CreationTimestamp.Should().Be(new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    [Test]
    public async Task Deletecollection_removes_the_selected_objects()
    {
        await CreateClusterAsync(Cluster("a", labels: new JsonObject { ["env"] = "dev" }));
        await CreateClusterAsync(Cluster("b"));

        await Client.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(Group, Version, "default", Plural, labelSelector: "env=dev");

        var list = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural));
        list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Should().Equal("b");
    }

    [Test]
    public async Task A_resource_version_from_the_future_is_a_504_too_large()
    {
        var future = (Emulator.CurrentResourceVersion + 100).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, status) = await FailureOf(() => Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural, resourceVersion: future));

        code.Should().Be(HttpStatusCode.GatewayTimeout);
        status["message"]!.GetValue<string>().Should().StartWith($"Too large resource version: {future}, current: ");
    }
}
