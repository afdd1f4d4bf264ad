using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Clusters;
using Operator.Testing;
using Operator.Testing.Yaml;
using Operator.Tests.Deploy;
using Operator.Tests.Support;

namespace Operator.Tests.Lane;

/// <summary>
/// The operator, as its ServiceAccount with the shipped RBAC, driven with kubectl the way platform teams drive it,
/// on the emulator and on a real kube-apiserver with the same code: every example of the user guide applied unchanged
/// (<c>kubectl apply -f manifests/samples/</c>) converges; a spec changed by merge patch, by client-side apply and by
/// server-side apply reaches ECS, including clearing a list; objects deleted in every order of Secret, provider and
/// cluster go, with their ECS clusters; and no request of the operator was refused.
/// </summary>
[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]
public sealed class LaneOperatorTests(LaneBackend backend)
{
    private static readonly (string Namespace, string Name)[] GuideClusters =
    [
        ("default", "fargate-cluster"), ("default", "hybrid-cluster"), ("development", "debug-cluster"), ("production", "serverless-cluster"),
        ("development", "dev-cluster"), ("default", "service-mesh-cluster"), ("default", "audit-cluster"),
    ];

    private LaneEnvironment _lane = null!;
    private WebApplication _operator = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _lane = await LaneEnvironment.StartAsync(backend);
        _operator = await _lane.StartOperatorAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_lane is not null)
        {
            await _lane.DisposeAsync();
        }
    }

    [Test, Order(1)]
    public async Task Every_guide_example_applied_with_kubectl_converges()
    {
        await _lane.Plane.KubectlAsync("apply", "-f", RepositoryLayout.SampleDirectory);
        foreach (var (ns, name) in GuideClusters)
        {
            var obj = await _lane.WaitReadyAsync(ns, name, TimeSpan.FromSeconds(180));
            obj.Metadata.Finalizers.Should().Contain(ApiGroup.Finalizer);
            var cluster = await _lane.DescribeAsync(obj.Spec.ClusterName);
            cluster.Should().NotBeNull($"{ns}/{name}'s ECS cluster exists");
            cluster!.Status.Should().Be("ACTIVE");
            cluster.Tags!.Should().Contain(t => t.Key == Ownership.TagKey && t.Value == $"{ns}/{name}");
        }
        foreach (var (ns, name) in new[] { ("default", "localstack"), ("default", "production-aws"), ("development", "dev-aws"), ("production", "production-aws") })
        {
            (await _lane.GetProviderAsync(ns, name))!.Status!.Ready.Should().BeTrue($"provider {ns}/{name} authenticated");
        }
        (await _lane.DescribeAsync("hybrid-cluster"))!.CapacityProviders.Should().BeEquivalentTo("FARGATE", "FARGATE_SPOT", "my-ec2-capacity-provider");
    }

    [TestCase("merge-patch"), Order(2)]
    [TestCase("client-side-apply")]
    [TestCase("server-side-apply")]
    public async Task A_spec_change_by_every_update_method_reaches_ECS_including_clearing_a_list(string method)
    {
        var name = $"upd-{method}";
        var initial = Cluster(name, providers: ["FARGATE", "FARGATE_SPOT"], tags: new() { ["team"] = "a", ["tier"] = "gold" });
        await Write(method, initial, first: true);
        var obj = await _lane.WaitReadyAsync("default", name, TimeSpan.FromSeconds(120));
        (await _lane.DescribeAsync(name))!.CapacityProviders.Should().BeEquivalentTo("FARGATE", "FARGATE_SPOT");

        // Clear the capacity providers and the strategy, change one tag and drop another.
        var changed = Cluster(name, providers: [], tags: new() { ["team"] = "b" });
        await Write(method, changed, first: false);
        await _lane.WaitForClusterAsync("default", name,
            c => c.Metadata.Generation > obj.Metadata.Generation && c.Status?.ObservedGeneration == c.Metadata.Generation && c.Status.Ready == true,
            "the new generation applied");
        await Eventually.UntilAsync(async () =>
        {
            var ecs = (await _lane.DescribeAsync(name))!;
            var tags = ecs.Tags!.ToDictionary(t => t.Key, t => t.Value);
            return (ecs.CapacityProviders ?? []).Count == 0 && (ecs.DefaultCapacityProviderStrategy ?? []).Count == 0
                && tags.GetValueOrDefault("team") == "b" && !tags.ContainsKey("tier");
        }, $"ECS to have no capacity providers and the new tags after a {method} on {_lane.Plane.Description}", TimeSpan.FromSeconds(60));
    }

    [TestCase("secret", "provider", "cluster"), Order(3)]
    [TestCase("cluster", "provider", "secret")]
    [TestCase("provider", "secret", "cluster")]
    [TestCase("provider", "cluster", "secret")]
    public async Task Objects_deleted_in_any_order_go_with_their_ECS_cluster(string first, string second, string third)
    {
        var ns = $"del-{first[0]}{second[0]}{third[0]}";
        await _lane.Plane.KubectlAsync("create", "namespace", ns);
        var files = new Dictionary<string, string>
        {
            ["secret"] = Yaml(ns, "secret-aws-credentials.yaml"),
            ["provider"] = Yaml(ns, "awsprovider-static.yaml"),
            ["cluster"] = Yaml(ns, "ecscluster-fargate.yaml", o =>
            {
                o["spec"]!["providerRef"]!["name"] = "localstack";
                o["spec"]!["clusterName"] = ns;
            }),
        };
        foreach (var kind in new[] { "secret", "provider", "cluster" })
        {
            await _lane.Plane.KubectlAsync(["apply", "-f", files[kind]]);
        }
        await _lane.WaitReadyAsync(ns, "fargate-cluster", TimeSpan.FromSeconds(120));

        // One kubectl delete, in the given order, as `kubectl delete -f dir/` does.
        await _lane.Plane.KubectlAsync(["delete", "--wait=false", "-f", files[first], "-f", files[second], "-f", files[third]]);
        await _lane.WaitGoneAsync(ns, "fargate-cluster");
        await Eventually.UntilAsync(async () => await _lane.GetProviderAsync(ns, "localstack") is null, $"{ns}/localstack gone", TimeSpan.FromSeconds(90));
        (await _lane.DescribeAsync(ns)).Should().BeNull("deletionPolicy Delete deleted the ECS cluster");
    }

    [Test, Order(4)]
    public async Task No_request_of_the_operator_was_refused_by_the_shipped_RBAC()
    {
        var rbac = await RbacRules.LoadAsync();
        var requests = _lane.Plane.OperatorRequests();
        requests.Should().NotBeEmpty();
        requests.Where(r => r.StatusCode == 403).Select(r => $"{r.Verb} {r.Path} {r.StatusCode}").Should().BeEmpty($"{_lane.Plane.Description} refused nothing");
        rbac.Denied(requests).Select(RbacRules.Describe).Should().BeEmpty();
        _lane.Logs.Lines.Where(l => l.Contains("Forbidden", StringComparison.Ordinal) || l.Contains(" 403", StringComparison.Ordinal)).Should().BeEmpty();
    }

    private async Task Write(string method, JsonObject obj, bool first)
    {
        switch (method)
        {
            case "merge-patch" when first:
                await _lane.Plane.KubectlAsync(["create", "-f", "-"], obj.ToJsonString());
                break;
            case "merge-patch":
                var patch = new JsonObject { ["spec"] = obj["spec"]!.DeepClone() };
                // A merge patch replaces a map key by key: remove the dropped tag explicitly.
                patch["spec"]!["tags"]!["tier"] = null;
                await _lane.Plane.KubectlAsync("patch", "ecscluster", obj["metadata"]!["name"]!.GetValue<string>(), "-n", "default", "--type", "merge",
                    "-p", patch.ToJsonString());
                break;
            case "client-side-apply":
                await _lane.Plane.KubectlAsync(["apply", "-f", "-"], obj.ToJsonString());
                break;
            default:
                await _lane.Plane.KubectlAsync(["apply", "--server-side", "--field-manager", "platform-gitops", "-f", "-"], obj.ToJsonString());
                break;
        }
    }

    private static JsonObject Cluster(string name, string[] providers, Dictionary<string, string> tags)
    {
        var strategy = new JsonArray([.. providers.Select((p, i) => (JsonNode)new JsonObject { ["capacityProvider"] = p, ["weight"] = i == 0 ? 1 : 4 })]);
        return new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion,
            ["kind"] = ECSCluster.KindName,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["providerRef"] = new JsonObject { ["name"] = "localstack" },
                ["clusterName"] = name,
                ["capacityProviders"] = new JsonArray([.. providers.Select(p => (JsonNode)JsonValue.Create(p))]),
                ["defaultCapacityProviderStrategy"] = strategy,
                ["tags"] = new JsonObject([.. tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value)))]),
            },
        };
    }

    /// <summary>A sample as a file in <paramref name="ns"/>, optionally edited.</summary>
    private string Yaml(string ns, string sample, Action<JsonObject>? edit = null)
    {
        var obj = YamlJson.ParseAll(File.ReadAllText(Path.Combine(RepositoryLayout.SampleDirectory, sample))).Single()!.AsObject();
        obj["metadata"]!["namespace"] = ns;
        edit?.Invoke(obj);
        var path = Path.Combine(_lane.WorkDirectory, $"{ns}-{sample}.json");
        File.WriteAllText(path, obj.ToJsonString());
        return path;
    }
}
