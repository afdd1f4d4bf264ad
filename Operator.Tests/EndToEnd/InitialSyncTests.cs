using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// A restart (or a new leader) over many existing clusters: converged ones are confirmed by the drift scanner's
/// batched DescribeClusters instead of one reconcile each, and a user's spec change made during a backlog of
/// background reconciles overtakes that backlog. Counts AWS calls and reconciles (from the controller's reconcile
/// activities, in the order they started); nothing here bounds wall-clock time.
/// </summary>
[TestFixture]
public sealed class InitialSyncTests
{
    private const int Clusters = 200;
    private const string Prefix = "isync-";

    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task CreateClustersAsync()
    {
        // Creation is not what this fixture studies: a larger write bucket keeps it short.
        _bed = await OperatorTestBed.StartAsync(settings: new()
        {
            // As many provider slots as workers: no reconcile is turned away busy, so every reconcile counted is real work.
            ["Workers"] = "4", ["MaxReconcilesPerProvider"] = "4", ["AwsWriteBurst"] = "100", ["AwsWriteQps"] = "100",
        });
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
        await Parallel.ForEachAsync(Enumerable.Range(0, Clusters), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await _bed.Kube.CreateClusterAsync("default", Name(i)));
        await WaitAllConvergedAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_restart_confirms_converged_clusters_in_batches_and_reconciles_only_the_divergent()
    {
        await _bed.StopOperatorAsync();
        // While the operator is down: one cluster deleted out of band, one spec changed by a user.
        await _bed.Ecs.DeleteClusterAsync(new() { Cluster = Name(17) });
        await _bed.Kube.PatchClusterAsync("default", Name(42), new JsonObject { ["spec"] = new JsonObject { ["capacityProviders"] = new JsonArray("FARGATE") } });

        using var reconciles = new ReconcileLog(Prefix);
        var confirmations = InitialSyncLines();
        var since = DateTimeOffset.UtcNow;
        await _bed.StartOperatorAsync();
        await Eventually.UntilAsync(() => InitialSyncLines() > confirmations, "the bulk confirmation", TimeSpan.FromMinutes(2));
        await Eventually.UntilAsync(async () => (await _bed.DescribeAsync(Name(17)))?.Status == "ACTIVE", "the deleted cluster recreated", TimeSpan.FromMinutes(2));
        await _bed.WaitForClusterAsync("default", Name(42), c => c.Status?.ObservedGeneration == c.Metadata.Generation && c.Status?.Ready == true,
            "the spec change applied", TimeSpan.FromMinutes(2));
        await WaitAllConvergedAsync();

        var describes = _bed.OperatorCalls(since).GetValueOrDefault("DescribeClusters");
        var reconciled = reconciles.Keys().Where(k => k.Contains(Prefix, StringComparison.Ordinal)).Distinct().Order().ToList();
        TestContext.Out.WriteLine($"restart over {Clusters} clusters: DescribeClusters={describes}, reconciled={string.Join(",", reconciled)}");

        reconciled.Should().BeEquivalentTo([$"default/{Name(17)}", $"default/{Name(42)}"],
            "converged clusters are confirmed in bulk, only the divergent ones are reconciled");
        // ⌈N/100⌉ batches, plus the two divergent reconciles' own reads (at most 3 each).
        describes.Should().BeLessThanOrEqualTo(((Clusters + 99) / 100) + 6);
    }

    [Test]
    public async Task A_spec_change_during_a_background_backlog_overtakes_it()
    {
        await _bed.StopOperatorAsync();
        // Statuses that say "not reconciled for this generation": the restart has to reconcile every one of them,
        // one by one at low priority — the backlog a user change must not wait behind.
        await Parallel.ForEachAsync(Enumerable.Range(0, Clusters), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await _bed.Kube.PatchClusterAsync("default", Name(i),
                new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = 0 } }, status: true));
        // The object listed last: in a single FIFO it would be reconciled after the whole backlog.
        var listed = EcsOperatorModule.Json.Deserialize<ListPage<ECSCluster>>(EcsOperatorModule.Json.Serialize(
            await _bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName))).Items!;
        var target = ObjectKey.Of(listed.Last(c => c.Metadata.Name.StartsWith(Prefix, StringComparison.Ordinal)));

        using var reconciles = new ReconcileLog(Prefix);
        // Paces the backlog (each reconcile reads once) so that it is still there when the user acts.
        _bed.Aws.Faults.SetLatency("DescribeClusters", TimeSpan.FromMilliseconds(200));
        await _bed.StartOperatorAsync();
        await Eventually.UntilAsync(() => reconciles.Count >= 4, "the backlog being worked on", TimeSpan.FromMinutes(2));
        var before = reconciles.Count;
        var (_, name) = ObjectKey.Split(target);
        var patchedAt = DateTime.UtcNow;
        await _bed.Kube.PatchClusterAsync("default", name, new JsonObject { ["spec"] = new JsonObject { ["capacityProviders"] = new JsonArray("FARGATE_SPOT") } });
        await Eventually.UntilAsync(() => reconciles.Since(patchedAt).Contains(target), "the spec change reconciled", TimeSpan.FromMinutes(2));
        var ahead = reconciles.Since(patchedAt).IndexOf(target);
        _bed.Aws.Faults.Clear();
        await WaitAllConvergedAsync();

        TestContext.Out.WriteLine($"{before} reconciles before the spec change, {ahead} between it and its reconcile, backlog {Clusters}");
        before.Should().BeLessThan(Clusters / 2, "the change must have been made while most of the backlog was still queued");
        // Only reconciles leased while the watch event travelled, never the rest of the backlog.
        ahead.Should().BeLessThanOrEqualTo(20);
    }

    private int InitialSyncLines() => _bed.Logs.Lines.Count(l => l.Contains("Initial sync:", StringComparison.Ordinal));

    private static string Name(int i) => $"{Prefix}{i:000}";

    private async Task WaitAllConvergedAsync() => await Eventually.UntilAsync(async () =>
    {
        var list = await _bed.Client.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName);
        var items = EcsOperatorModule.Json.Deserialize<ListPage<ECSCluster>>(EcsOperatorModule.Json.Serialize(list)).Items!
            .Where(c => c.Metadata.Name.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        return items.Count == Clusters && items.All(c => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation);
    }, "every cluster Ready for its generation", TimeSpan.FromMinutes(4));
}
