using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Deploy;

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

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _lane = await LaneEnvironment.StartAsync(backend);
        await _lane.StartOperatorAsync();
        // The guide's static provider, which the update tests use (the guide test applies it again, unchanged).
        await _lane.Plane.KubectlAsync("apply", "-f", Path.Combine(RepositoryLayout.SampleDirectory, "secret-aws-credentials.yaml"),
            "-f", Path.Combine(RepositoryLayout.SampleDirectory, "awsprovider-static.yaml"));
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
    public async Task A_spec_change_by_every_update_method_reaches_ECS_including_clearing_every_clearable_field(string method)
    {
        var name = $"upd-{method}";
        await Write(method, Cluster(name, clear: false), first: true);
        var obj = await _lane.WaitReadyAsync("default", name, TimeSpan.FromSeconds(120));
        var before = (await _lane.DescribeAsync(name))!;
        before.CapacityProviders.Should().BeEquivalentTo("FARGATE", "FARGATE_SPOT");
        before.Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("OVERRIDE");
        before.ServiceConnectDefaults!.Namespace.Should().Contain("team-ns");

        // Every clearable field emptied, one tag changed and one dropped, as each method's users write it: server-side
        // apply sends [] and {} (stored as absent or null), client-side apply drops the objects from the file and sends
        // [], a merge patch sends [] and deletes the objects with null.
        var cleared = Cluster(name, clear: true);
        if (method == "client-side-apply")
        {
            cleared["spec"]!.AsObject().Remove("configuration");
            cleared["spec"]!.AsObject().Remove("serviceConnectDefaults");
        }
        await Write(method, cleared, first: false);
        await _lane.WaitForClusterAsync("default", name,
            c => c.Metadata.Generation > obj.Metadata.Generation && c.Status?.ObservedGeneration == c.Metadata.Generation && c.Status.Ready == true,
            "the new generation applied");
        Operator.Core.Aws.Ecs.Model.Cluster? ecs = null;
        await Eventually.UntilAsync(async () =>
        {
            ecs = (await _lane.DescribeAsync(name))!;
            var tags = ecs.Tags!.ToDictionary(t => t.Key, t => t.Value);
            return (ecs.CapacityProviders ?? []).Count == 0 && (ecs.DefaultCapacityProviderStrategy ?? []).Count == 0
                && (ecs.Configuration?.ExecuteCommandConfiguration?.Logging ?? "DEFAULT") == "DEFAULT"
                && ecs.Configuration?.ExecuteCommandConfiguration?.LogConfiguration is null
                && string.IsNullOrEmpty(ecs.ServiceConnectDefaults?.Namespace)
                && tags.GetValueOrDefault("team") == "b" && !tags.ContainsKey("tier");
        }, () => $"ECS to have every clearable field cleared after a {method} on {_lane.Plane.Description}; ECS has "
            + System.Text.Json.JsonSerializer.Serialize(ecs?.CapacityProviders) + " " + ecs?.ServiceConnectDefaults?.Namespace
            + " " + ecs?.Configuration?.ExecuteCommandConfiguration?.Logging, TimeSpan.FromSeconds(60));
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
                // A merge patch merges objects key by key: the dropped tag and the emptied objects are removed with null.
                patch["spec"]!["tags"]!["tier"] = null;
                foreach (var field in new[] { "configuration", "serviceConnectDefaults" })
                {
                    if (patch["spec"]![field] is JsonObject { Count: 0 })
                    {
                        patch["spec"]![field] = null;
                    }
                }
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

    /// <summary>A cluster setting every clearable field, or (<paramref name="clear"/>) emptying each of them.</summary>
    private static JsonObject Cluster(string name, bool clear)
    {
        JsonObject spec = clear
            ? new()
            {
                ["capacityProviders"] = new JsonArray(),
                ["defaultCapacityProviderStrategy"] = new JsonArray(),
                ["configuration"] = new JsonObject(),
                ["serviceConnectDefaults"] = new JsonObject(),
                ["tags"] = new JsonObject { ["team"] = "b" },
            }
            : new()
            {
                ["capacityProviders"] = new JsonArray("FARGATE", "FARGATE_SPOT"),
                ["defaultCapacityProviderStrategy"] = new JsonArray(
                    new JsonObject { ["capacityProvider"] = "FARGATE", ["weight"] = 1 },
                    new JsonObject { ["capacityProvider"] = "FARGATE_SPOT", ["weight"] = 4 }),
                ["configuration"] = new JsonObject
                {
                    ["executeCommandConfiguration"] = new JsonObject
                    {
                        ["logging"] = "OVERRIDE",
                        ["logConfiguration"] = new JsonObject { ["cloudWatchLogGroupName"] = "/ecs/exec" },
                    },
                },
                ["serviceConnectDefaults"] = new JsonObject { ["namespace"] = "team-ns" },
                ["tags"] = new JsonObject { ["team"] = "a", ["tier"] = "gold" },
            };
        spec["providerRef"] = new JsonObject { ["name"] = "localstack" };
        spec["clusterName"] = name;
        return new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion,
            ["kind"] = ECSCluster.KindName,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = spec,
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
