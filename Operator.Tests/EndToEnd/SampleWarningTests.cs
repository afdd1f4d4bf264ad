namespace Operator.Tests.EndToEnd;

/// <summary>
/// The happy path shows no Warning: every sample created in file order (as <c>kubectl apply -f manifests/samples/</c>
/// does: providers, then clusters, then the Secrets) or in a seeded random order (clusters before their providers,
/// providers before their Secrets), with the emulator's random ordering of watch events and write responses, and the
/// operator reconciling each object before the next one is created (so a dependency later in the order is missing
/// on its dependents' first pass). Every
/// object that goes Ready has no Warning Event; only the guide's hybrid example fails (InvalidParameter).
/// </summary>
[TestFixture]
public sealed class SampleWarningTests
{
    private static readonly string[] ReadyClusters = ["default/fargate-cluster", "development/debug-cluster", "production/serverless-cluster",
        "development/dev-cluster", "default/service-mesh-cluster", "default/audit-cluster"];

    private static readonly string[] Providers = ["default/localstack", "default/production-aws", "development/dev-aws", "production/production-aws"];

    [TestCase("file order")]
    [TestCase("shuffled")]
    public async Task Applying_the_samples_records_no_Warning_on_objects_that_go_Ready(string order)
    {
        var objects = Directory.GetFiles(RepositoryLayout.SampleDirectory, "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => YamlJson.ParseAll(File.ReadAllText(f)).Select(d => d!.AsObject())).ToList();
        if (order == "shuffled")
        {
            var seed = Environment.TickCount;
            TestContext.Out.WriteLine($"seed {seed}");
            new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(objects));
            TestContext.Out.WriteLine("order: " + string.Join(", ", objects.Select(o => o["metadata"]!["name"]!.GetValue<string>())));
        }
        await using var bed = await OperatorTestBed.StartAsync();
        foreach (var obj in objects)
        {
            await bed.CreateAsync((JsonObject)obj.DeepClone());
            // The slowest apply: the operator has reconciled each object before the next one exists, so every
            // dependency that comes later in the order is missing when its dependents are first looked at.
            await ReconciledAsync(bed.Client, obj);
        }

        foreach (var key in ReadyClusters)
        {
            await bed.WaitReadyAsync(key.Split('/')[0], key.Split('/')[1]);
        }
        foreach (var key in Providers)
        {
            await bed.WaitProviderReadyAsync(key.Split('/')[0], key.Split('/')[1]);
        }
        await bed.WaitForClusterAsync("default", "hybrid-cluster",
            c => c.Status?.Conditions?.Any(x => x.Reason == ClusterConditions.Reasons.InvalidParameter) == true, "hybrid create failed");

        // Events are sent in order per object: once each object's success event is visible, any Warning before it is too.
        List<Corev1Event> events = [];
        await Eventually.UntilAsync(async () =>
        {
            events = await EventsAsync(bed.Client);
            return ReadyClusters.All(k => Has(events, k, "Created")) && Providers.All(k => Has(events, k, "Authenticated"));
        }, "a Created event for every Ready cluster and an Authenticated event for every provider", TimeSpan.FromSeconds(60));

        events.Where(e => e.Type == "Warning" && e.InvolvedObject.Name != "hybrid-cluster")
            .Select(e => $"{e.InvolvedObject.Kind} {e.InvolvedObject.NamespaceProperty}/{e.InvolvedObject.Name}: {e.Reason}: {e.Message}")
            .Should().BeEmpty();
    }

    private static async Task ReconciledAsync(IKubernetes client, JsonObject obj)
    {
        var kind = obj["kind"]!.GetValue<string>();
        if (kind == "Secret")
        {
            return;
        }
        var name = obj["metadata"]!["name"]!.GetValue<string>();
        var ns = obj["metadata"]!["namespace"]?.GetValue<string>() ?? "default";
        var plural = kind == Core.Api.V1Alpha1.AWSProvider.KindName ? Core.Api.V1Alpha1.AWSProvider.PluralName : Core.Api.V1Alpha1.ECSCluster.PluralName;
        await Eventually.UntilAsync(async () =>
        {
            var got = JsonNode.Parse(EcsOperatorModule.Json.Serialize(await client.CustomObjects.GetNamespacedCustomObjectAsync(
                Core.Api.V1Alpha1.ApiGroup.Group, Core.Api.V1Alpha1.ApiGroup.Version, ns, plural, name)));
            return got?["status"]?["conditions"] is JsonArray { Count: > 0 };
        }, $"{kind} {ns}/{name} reconciled once", TimeSpan.FromSeconds(60));
    }

    private static bool Has(List<Corev1Event> events, string key, string reason) =>
        events.Any(e => $"{e.InvolvedObject.NamespaceProperty}/{e.InvolvedObject.Name}" == key && e.Reason == reason);

    private static async Task<List<Corev1Event>> EventsAsync(IKubernetes client)
    {
        List<Corev1Event> all = [];
        foreach (var ns in new[] { "default", "development", "production" })
        {
            all.AddRange((await client.CoreV1.ListNamespacedEventAsync(ns)).Items);
        }
        return all;
    }
}
