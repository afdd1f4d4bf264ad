namespace Operator.Tests.EndToEnd;

/// <summary>
/// What steady state costs: with every cluster in sync, the drift scanner's batched DescribeClusters are the only
/// AWS calls, nothing is written to AWS or Kubernetes, and no reconcile runs. The figures are printed; the
/// assertions are on counts (never on time).
/// </summary>
[TestFixture]
public sealed class SteadyStateTests
{
    [Test]
    public async Task In_sync_clusters_cost_a_fraction_of_a_read_per_resync_and_no_writes()
    {
        const int clusters = 250;
        var resync = TimeSpan.FromSeconds(1);
        // Creation is not what this test studies: a larger write bucket keeps it from dominating the run.
        await using var bed = await OperatorTestBed.StartAsync(resync: resync, settings: new()
        {
            ["Workers"] = "8", ["AwsWriteBurst"] = "100", ["AwsWriteQps"] = "100",
        });
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await Parallel.ForEachAsync(Enumerable.Range(0, clusters), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await bed.Kube.CreateClusterAsync("default", $"steady-{i}"));
        await Eventually.UntilAsync(async () =>
        {
            var list = await bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(
                Core.Api.V1Alpha1.ApiGroup.Group, Core.Api.V1Alpha1.ApiGroup.Version, "default", Core.Api.V1Alpha1.ECSCluster.PluralName);
            var items = EcsOperatorModule.Json.Deserialize<Core.Kubernetes.ListPage<Core.Api.V1Alpha1.ECSCluster>>(EcsOperatorModule.Json.Serialize(list)).Items!;
            return items.Count == clusters && items.All(c => c.Status?.Ready == true);
        }, "all clusters Ready", TimeSpan.FromMinutes(3));

        // Settled: a window of at least one resync period in which the only describes were the scan's batches
        // (at most one scan per started period: a window stretched by a busy machine allows more scans, not more
        // describes per scan).
        var batches = (clusters + 99) / 100;
        await Eventually.UntilAsync(() =>
        {
            var from = DateTimeOffset.UtcNow;
            var end = from + resync + TimeSpan.FromMilliseconds(500);
            return WindowAsync(end, () =>
            {
                var periods = (int)Math.Ceiling((DateTimeOffset.UtcNow - from) / resync);
                return bed.OperatorCalls(from).GetValueOrDefault("DescribeClusters") <= batches * periods;
            });
        }, "steady state", TimeSpan.FromMinutes(2));

        var since = DateTimeOffset.UtcNow;
        bed.Kube.Emulator.Requests.Reset();
        var window = resync * 4;
        var deadline = DateTime.UtcNow + window;
        await Eventually.UntilAsync(() => DateTime.UtcNow >= deadline, "the observation window", window + TimeSpan.FromSeconds(30));

        var calls = bed.OperatorCalls(since);
        var describes = calls.GetValueOrDefault("DescribeClusters");
        // The window as it really was: on a busy machine it may have lasted longer than asked.
        var periods = Math.Ceiling((DateTimeOffset.UtcNow - since) / resync);
        var perClusterPerResync = describes / (clusters * periods);
        var kubeWrites = bed.Kube.Emulator.Requests.Writes.Count(w => w.Resource == "ecsclusters");
        TestContext.Out.WriteLine($"steady state, {clusters} clusters, {periods:0} resync periods: DescribeClusters={describes} " +
            $"({perClusterPerResync:0.0000} per cluster per resync), GetCallerIdentity={calls.GetValueOrDefault("GetCallerIdentity")}, " +
            $"Kubernetes writes to ECSClusters={kubeWrites}");

        // The only other call: each provider's identity is re-checked once per resync (STS GetCallerIdentity).
        calls.Keys.Should().BeSubsetOf(["DescribeClusters", "GetCallerIdentity"], "steady state makes no write call");
        perClusterPerResync.Should().BeLessThanOrEqualTo(0.02);
        kubeWrites.Should().Be(0, "nothing changed, so nothing is written");
    }

    /// <summary>Waits until <paramref name="end"/> (a measurement window, not a stand-in for a condition), then checks.</summary>
    private static async Task<bool> WindowAsync(DateTimeOffset end, Func<bool> check)
    {
        await Eventually.UntilAsync(() => DateTimeOffset.UtcNow >= end, "the end of the window", end - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30));
        return check();
    }
}
