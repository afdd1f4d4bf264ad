using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// The emulator's ordering of a write's watch events against its response: reproducible per seed, all three orders
/// used, and in every order each event still arrives once, in resourceVersion order, with the response's version.
/// </summary>
[TestFixture]
public sealed class WatchEventOrderTests
{
    [Test]
    public void The_same_seed_gives_the_same_choices_and_every_order_occurs()
    {
        static List<WatchEventOrder> Choices(int seed)
        {
            var ordering = new WatchOrdering(WatchEventOrder.Random, seed);
            return [.. Enumerable.Range(0, 60).Select(_ => ordering.Begin().Mode)];
        }

        Choices(7).Should().Equal(Choices(7));
        Choices(7).Should().NotEqual(Choices(8));
        Choices(7).Distinct().Should().BeEquivalentTo([WatchEventOrder.EventFirst, WatchEventOrder.ResponseFirst, WatchEventOrder.Concurrent]);
    }

    [TestCase(WatchEventOrder.EventFirst)]
    [TestCase(WatchEventOrder.ResponseFirst)]
    [TestCase(WatchEventOrder.Concurrent)]
    [TestCase(WatchEventOrder.Random)]
    public async Task Every_write_is_answered_and_streamed_once_in_order(WatchEventOrder order)
    {
        await using var emulator = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions
        {
            CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"), WatchEventOrder = order,
        });
        var client = emulator.CreateClient(EcsOperatorModule.Json);
        const string path = "/apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters";
        await using var watch = await WatchCollector.OpenAsync(emulator.BaseAddress, $"{path}?watch=true");
        var versions = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var body = new JsonObject
            {
                ["apiVersion"] = "aws-infra-operator.runner.codes/v1alpha1", ["kind"] = "ECSCluster",
                ["metadata"] = new JsonObject { ["name"] = $"o-{i}" },
                ["spec"] = new JsonObject { ["clusterName"] = $"o-{i}", ["providerRef"] = new JsonObject { ["name"] = "p" } },
            };
            var created = JsonNode.Parse(EcsOperatorModule.Json.Serialize(await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                body, "aws-infra-operator.runner.codes", "v1alpha1", "default", "ecsclusters")))!;
            versions.Add(created["metadata"]!["resourceVersion"]!.GetValue<string>());
        }

        var streamed = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var ev = await watch.NextNonBookmarkAsync();
            ev["type"]!.GetValue<string>().Should().Be("ADDED");
            streamed.Add(ev["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>());
        }
        streamed.Should().Equal(versions);
    }
}
