namespace Operator.Tests.Kubernetes;

/// <summary>
/// The per-kind rules of the emulator's strategies, through the real client: generation counting (spec changes and
/// the deletionTimestamp being set are new generations, for kinds that track one), the status subresource of the
/// install kinds, their scope, and what a delete answers.
/// </summary>
[TestFixture]
public sealed class ResourceStrategyTests : EmulatorTestBase
{
    private const string Finalizer = "example.com/hold";

    private static V1Deployment Deployment(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Finalizers = [Finalizer] },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "example/image:1" }] },
            },
        },
    };

    private static V1Patch Merge(string json) => new(json, V1Patch.PatchType.MergePatch);

    [Test]
    public async Task Setting_deletionTimestamp_is_a_new_generation_for_the_kinds_that_track_one()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), "default");
        await CreateClusterAsync(Cluster("held", finalizers: new JsonArray(Finalizer)));
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm", Finalizers = [Finalizer] } }, "default");

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("web", "default");
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "held");
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("cm", "default");

        var deployment = await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        deployment.Metadata.DeletionTimestamp.Should().NotBeNull();
        deployment.Metadata.Generation.Should().Be(2);
        Generation(await GetClusterAsync("held")).Should().Be(2);
        var configMap = await Client.CoreV1.ReadNamespacedConfigMapAsync("cm", "default");
        configMap.Metadata.DeletionTimestamp.Should().NotBeNull();
        configMap.Metadata.Generation.Should().BeNull("ConfigMaps have no generation");
    }

    [Test]
    public async Task A_Deployment_counts_spec_changes_and_keeps_its_status_behind_the_subresource()
    {
        var created = await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), "default");
        created.Metadata.Generation.Should().Be(1);

        var labelled = await Client.AppsV1.PatchNamespacedDeploymentAsync(Merge("""{"metadata":{"labels":{"tier":"front"}},"status":{"replicas":7}}"""), "web", "default");
        labelled.Metadata.Generation.Should().Be(1, "labels are metadata");
        labelled.Status?.Replicas.Should().BeNull("a main-resource write does not set the status");

        var scaled = await Client.AppsV1.PatchNamespacedDeploymentAsync(Merge("""{"spec":{"replicas":3}}"""), "web", "default");
        scaled.Metadata.Generation.Should().Be(2);

        var status = await Client.AppsV1.PatchNamespacedDeploymentStatusAsync(Merge("""{"status":{"observedGeneration":2,"replicas":3},"spec":{"replicas":9}}"""), "web", "default");
        status.Status.Replicas.Should().Be(3);
        status.Spec.Replicas.Should().Be(3, "a /status write changes only the status");
        status.Metadata.Generation.Should().Be(2);
    }

    [Test]
    public async Task The_install_kinds_are_served_with_their_scope_and_delete_answers()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "ops" } });
        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "reader" }, Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] }] });
        await Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "reader" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "bot", NamespaceProperty = "ops" }],
        }, "ops");
        await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "bot" } }, "ops");
        await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "metrics" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 8080 }] } }, "ops");

        (await Client.RbacAuthorizationV1.ListClusterRoleAsync()).Items.Select(r => r.Metadata.Name).Should().Equal("reader");
        (await Client.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync()).Items.Single().Metadata.NamespaceProperty.Should().Be("ops");
        using var http = new HttpClient();
        var discovery = await http.GetStringAsync(new Uri(Emulator.BaseAddress, "apis/rbac.authorization.k8s.io/v1"));
        var resources = JsonNode.Parse(discovery)!["resources"]!.AsArray();
        resources.Single(r => r!["name"]!.GetValue<string>() == "clusterroles")!["namespaced"]!.GetValue<bool>().Should().BeFalse();
        resources.Single(r => r!["name"]!.GetValue<string>() == "rolebindings")!["namespaced"]!.GetValue<bool>().Should().BeTrue();

        var deleted = await Client.CoreV1.DeleteNamespacedServiceAsync("metrics", "ops");
        deleted.Metadata.Name.Should().Be("metrics", "a Service's delete answers the Service");
        var deletedRole = await Client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync("reader", "ops");
        deletedRole.Status.Should().Be("Success", "other built-in kinds answer a delete with a Status");
        // A Namespace's delete answers the Namespace (not a Status), so it goes over plain HTTP.
        (await http.DeleteAsync(new Uri(Emulator.BaseAddress, "api/v1/namespaces/ops"))).EnsureSuccessStatusCode();
        (await Client.CoreV1.ListNamespacedServiceAccountAsync("ops")).Items.Should().BeEmpty("deleting a namespace deletes what it holds");
        (await Client.RbacAuthorizationV1.ListClusterRoleAsync()).Items.Should().ContainSingle("cluster-scoped objects outlive a namespace");
    }
}
