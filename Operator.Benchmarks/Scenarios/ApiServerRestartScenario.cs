using Operator.Core.Aws.Resilience;
using Operator.Testing.Kubernetes;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// An API server restart under a running operator (<c>scenarios --apiserver-restart</c>): N converged ECSClusters are
/// seeded (wide client buckets, ECS throttle suspended), the operator is started again with the product defaults (plus
/// <c>--set</c>) under ECS's documented read limit, and the Kubernetes API emulator restarts as a real one does
/// (watches ended, 503 while stopping, connections refused, watch history lost, then the 403/503/429 windows;
/// <see cref="KubeApiRestartOptions"/> defaults), twice: the second 20 s after the first server came back. Measured for
/// each: DescribeClusters and reconciles in the window from the restart until the next one (20 s after the server is
/// back), or 30 s for the second, relists, 409 Conflicts and Warning Events, and the time from the server being back
/// until a spec change made at that moment is applied.
/// </summary>
internal static class ApiServerRestartScenario
{
    private static readonly TokenBucketOptions EcsDocumentedReadLimit = new(50, 20);

    public static async Task<int> RunAsync(ScenarioOptions o, ResultTable results)
    {
        var n = o.Clusters;
        var ok = true;
        Console.WriteLine($"API server restart: N={n}, ECS throttle={(o.Throttle ? "50/20 per account" : "off")}");
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions { AccountThrottle = o.Throttle ? EcsDocumentedReadLimit : null });
        using var reconciles = new ReconcileCounter("ecscluster");
        // The product's resync period (10 minutes): every DescribeClusters in the window is the restart's, not a periodic scan's.
        var settings = new Dictionary<string, string?>(o.Settings);
        var names = Enumerable.Range(0, n).Select(i => $"bench-{i:D5}").ToArray();

        stack.Aws.ThrottleSuspended = true;
        await stack.StartOperatorAsync(new Dictionary<string, string?>(settings)
        {
            ["AwsReadBurst"] = "1000", ["AwsReadQps"] = "1000", ["AwsWriteBurst"] = "1000", ["AwsWriteQps"] = "1000", ["Workers"] = "16",
        });
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = o.Writers }, async (name, _) =>
            await stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(ScenarioStack.NewCluster(name, o.AsApplied),
                ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName));
        ok &= await ScenarioRunner.WaitAsync(() => stack.OperatorCache.List().Count(ScenarioRunner.IsReady) == n, o.Timeout);
        await stack.StopOperatorAsync();
        stack.Aws.ThrottleSuspended = false;
        await stack.StartOperatorAsync(settings);
        // The restarted operator confirms the converged clusters in batches; let that and its tail pass first.
        await Task.Delay(TimeSpan.FromSeconds(10));
        results.Add("apiserver restart", "seeded converged clusters", $"{(await ScenarioRunner.ListAllAsync(stack.Client)).Count(ScenarioRunner.IsReady)}/{n}");

        for (var round = 1; round <= 2; round++)
        {
            var label = round == 1 ? "apiserver restart 1" : "apiserver restart 2 (20 s later)";
            var at = DateTimeOffset.UtcNow;
            var requests = stack.Kube.Requests.Entries.Count;
            var r0 = reconciles.Total;
            var down = Stopwatch.StartNew();
            await stack.Kube.RestartAsync(new KubeApiRestartOptions());
            var downFor = down.Elapsed;
            var changed = names[round - 1];
            var back = Stopwatch.StartNew();
            var generation = await ChangeSpecWhenServedAsync(stack, changed, round == 1 ? "FARGATE" : "FARGATE_SPOT");
            var applied = await ScenarioRunner.WaitAsync(() => stack.OperatorCache.Get($"{ScenarioStack.Namespace}/{changed}") is { Status: { } s } c
                && s.ObservedGeneration >= generation && ScenarioRunner.IsReady(c), o.Timeout, TimeSpan.FromMilliseconds(20));
            var appliedAfter = back.Elapsed;
            ok &= applied;
            // The window: until the next outage (20 s after the server came back), or 30 s after the last one.
            var window = TimeSpan.FromSeconds(round == 1 ? 20 : 30);
            await Task.Delay(window - back.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
            var describes = stack.Aws.Calls.Snapshot().Count(c => c.At >= at && c.Operation == "DescribeClusters");
            var after = stack.Kube.Requests.Entries.Skip(requests).ToList();
            var warnings = (await stack.Client.CoreV1.ListNamespacedEventAsync(ScenarioStack.Namespace)).Items
                .Count(e => e.Type == "Warning" && (e.LastTimestamp ?? e.EventTime ?? DateTime.MinValue) >= at.UtcDateTime.AddSeconds(-1));
            results.Add(label, "server down (stop + refused)", Secs(downFor));
            results.Add(label, $"DescribeClusters in the {window.TotalSeconds:0} s after (the spec change's included)", describes.ToString(CultureInfo.InvariantCulture),
                $"≤ ⌈N/100⌉ + 2 = {(n + 99) / 100 + 2}");
            results.Add(label, $"reconciles in the {window.TotalSeconds:0} s after (the spec change's included)", (reconciles.Total - r0).ToString(CultureInfo.InvariantCulture), "1");
            results.Add(label, "relists (ECSCluster LISTs) / 409 Conflicts / Warning Events",
                $"{after.Count(e => e.Verb == "list" && e.Resource == "ecsclusters")} / {after.Count(e => e.StatusCode == 409)} / {warnings}", "- / 0 / 0");
            results.Add(label, "spec change made when the server was back: time until applied", applied ? Secs(appliedAfter) : "TIMEOUT", "≤ 3 s");
        }
        await stack.StopOperatorAsync();
        Console.WriteLine();
        Console.WriteLine($"API server restart, N = {n} ({Environment.ProcessorCount} CPUs, {(o.Throttle ? "ECS throttle 50/20" : "no ECS throttle")}):");
        return ok ? 0 : 1;
    }

    /// <summary>Changes one cluster's spec as soon as the restarted server takes a write; returns the new generation.</summary>
    private static async Task<long> ChangeSpecWhenServedAsync(ScenarioStack stack, string name, string capacityProvider)
    {
        while (true)
        {
            try
            {
                var patched = await stack.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
                    new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["capacityProviders"] = new JsonArray(capacityProvider) } }.ToJsonString(),
                        V1Patch.PatchType.MergePatch),
                    ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName, name);
                return EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(patched)).Metadata.Generation ?? 0;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    private static string Secs(TimeSpan t) => $"{t.TotalSeconds:0.00} s";
}
