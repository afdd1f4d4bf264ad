using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Lane;

/// <summary>
/// The behaviours of a real kube-apiserver the operator depends on, pinned with the same code on the emulator and on
/// the real server (docs/kubernetes-api-emulator.md lists them): managedFields on every object read back, Leases
/// included; server-side apply storing an applied empty list as absent and a dropped field as removed, and refusing a
/// second manager's change with 409 unless forced; a nullable map applied empty stored as null; a watch resumed from
/// before a restart getting 410 and the relist returning every object with its resourceVersion unchanged; and the
/// operator's ServiceAccount refused with the real 403 message outside the shipped RBAC; a write to a deleted object
/// refused with a 404 whose Status names that object (what lets a pass that met it end quietly).
/// </summary>
[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]
public sealed class LaneConformanceTests(LaneBackend backend)
{
    private LaneControlPlane _plane = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plane = await LaneControlPlane.StartAsync(backend);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_plane is not null)
        {
            await _plane.DisposeAsync();
        }
    }

    [Test]
    public async Task Every_object_read_back_carries_managedFields_a_Lease_included()
    {
        var now = DateTime.UtcNow;
        await _plane.Admin.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "conformance", NamespaceProperty = "default" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15, AcquireTime = now, RenewTime = now },
        }, "default", fieldManager: "conformance-test");
        var lease = await _plane.Admin.CoordinationV1.ReadNamespacedLeaseAsync("conformance", "default");
        lease.Metadata.ManagedFields.Should().ContainSingle(m => m.Manager == "conformance-test" && m.Operation == "Update");
        var writeBack = () => KubernetesJson.Serialize(lease);
        writeBack.Should().Throw<NotSupportedException>("the client's generated JSON cannot write FieldsV1: never send a read object back");
    }

    [Test]
    public async Task A_status_write_to_a_deleted_object_answers_404_naming_it()
    {
        var resource = ResourceType.Of<ECSCluster>();
        var patch = new V1Patch("""{"status":{"status":"ACTIVE"}}""", V1Patch.PatchType.MergePatch);
        var write = () => _plane.Admin.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, resource.Group, resource.Version, "default",
            resource.Plural, "deleted-meanwhile");
        var refused = (await write.Should().ThrowAsync<HttpOperationException>()).Which;
        refused.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        ApiErrors.IsGone(refused, resource, "deleted-meanwhile").Should().BeTrue("the Status details name the resource and the object");
        ApiErrors.IsGone(refused, resource, "another").Should().BeFalse();
    }

    [Test]
    public async Task Server_side_apply_stores_an_empty_list_as_absent_removes_dropped_fields_and_refuses_a_second_manager()
    {
        await ApplyAsync("ssa", "gitops", "capacityProviders: [FARGATE, FARGATE_SPOT]\n  serviceConnectDefaults: {namespace: ns1}\n  tags: {a: b}");
        var emptied = await ApplyAsync("ssa", "gitops", "capacityProviders: []\n  tags: {}");
        var spec = emptied["spec"]!.AsObject();
        spec.ContainsKey("capacityProviders").Should().BeFalse($"{_plane.Description} stores an applied [] as an absent field");
        spec.ContainsKey("serviceConnectDefaults").Should().BeFalse("a field dropped from the applied configuration is removed");
        spec.TryGetPropertyValue("tags", out var tags).Should().BeTrue();
        tags.Should().BeNull("an applied {} of a nullable map is stored as null");

        // A set list's items are owned one by one (another manager adding an item is no conflict); a scalar is not.
        await ApplyAsync("ssa", "gitops", "capacityProviders: [FARGATE]\n  serviceConnectDefaults: {namespace: ns1}");
        var shared = await ApplyAsync("ssa", "other-team", "capacityProviders: [FARGATE_SPOT]");
        shared["spec"]!["capacityProviders"]!.AsArray().Select(v => v!.GetValue<string>()).Should().BeEquivalentTo(["FARGATE", "FARGATE_SPOT"]);
        var conflict = async () => await ApplyAsync("ssa", "other-team", "serviceConnectDefaults: {namespace: ns2}");
        var refused = (await conflict.Should().ThrowAsync<HttpOperationException>()).Which;
        refused.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        EcsOperatorModule.Json.Deserialize<V1Status>(refused.Response.Content).Message
            .Should().Be("Apply failed with 1 conflict: conflict with \"gitops\": .spec.serviceConnectDefaults.namespace");
        var forced = await ApplyAsync("ssa", "other-team", "serviceConnectDefaults: {namespace: ns2}", force: true);
        forced["spec"]!["serviceConnectDefaults"]!["namespace"]!.GetValue<string>().Should().Be("ns2");
    }

    [Test]
    public async Task After_a_restart_a_resumed_watch_gets_410_and_a_relist_returns_unchanged_resourceVersions()
    {
        for (var i = 0; i < 3; i++)
        {
            await _plane.KubectlAsync("create", "configmap", $"before-restart-{i}", "-n", "default");
        }
        var before = await _plane.Admin.CoreV1.ListNamespacedConfigMapAsync("default");
        var versions = before.Items.ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion);
        // Something else changes meanwhile, as on any live cluster: the list's resourceVersion falls out of the new watch cache.
        await _plane.KubectlAsync("create", "namespace", "moves-the-revision");

        await _plane.RestartApiServerAsync(hard: false, TimeSpan.FromSeconds(1));
        string? first = null;
        Exception? last = null;
        var raw = new RawApiClient(_plane.Admin, EcsOperatorModule.Json);
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                using var response = await raw.WatchAsync("/api/v1/namespaces/default/configmaps", before.Metadata.ResourceVersion, 5, null, CancellationToken.None);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                first = await reader.ReadLineAsync();
                return true;
            }
            catch (KubernetesApiException e) when (e.StatusCode == HttpStatusCode.Gone)
            {
                first = "HTTP 410";
                return true;
            }
            catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException or TaskCanceledException)
            {
                last = e; // not serving yet
                return false;
            }
        }, () => $"{_plane.Description} to answer the resumed watch (last: {last?.Message})", TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(200));
        (first!.Contains("\"code\":410", StringComparison.Ordinal) || first == "HTTP 410").Should().BeTrue($"a watch from before the restart expires, got {first}");

        var after = await _plane.Admin.CoreV1.ListNamespacedConfigMapAsync("default");
        after.Items.Where(c => versions.ContainsKey(c.Metadata.Name)).ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion)
            .Should().Equal(versions, "a restart changes no object");
    }

    [Test]
    public async Task The_operators_ServiceAccount_gets_the_real_403_outside_the_shipped_RBAC()
    {
        using var client = _plane.CreateOperatorClient();
        var delete = async () => await client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName, "x");
        var refused = (await delete.Should().ThrowAsync<HttpOperationException>()).Which;
        refused.Response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var status = EcsOperatorModule.Json.Deserialize<V1Status>(refused.Response.Content);
        status.Reason.Should().Be("Forbidden");
        status.Message.Should().Be($"ecsclusters.{ApiGroup.Group} \"x\" is forbidden: User \"{LaneControlPlane.OperatorUser}\" cannot delete resource "
            + $"\"ecsclusters\" in API group \"{ApiGroup.Group}\" in the namespace \"default\"");
    }

    private async Task<JsonObject> ApplyAsync(string name, string manager, string specLines, bool force = false)
    {
        // YAML is what kubectl sends; the typed client takes the body as JSON, and JSON is YAML: convert it.
        var yaml = $"apiVersion: {ApiGroup.ApiVersion}\nkind: ECSCluster\nmetadata: {{name: {name}, namespace: default}}\nspec:\n"
            + $"  providerRef: {{name: p}}\n  clusterName: {name}\n  {specLines}\n";
        var json = Operator.Testing.Yaml.YamlJson.ParseAll(yaml).Single()!.ToJsonString();
        var applied = await _plane.Admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(json, V1Patch.PatchType.ApplyPatch),
            ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName, name, fieldManager: manager, force: force);
        return JsonNode.Parse(EcsOperatorModule.Json.Serialize(applied))!.AsObject();
    }
}
