using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Lane;

/// <summary>
/// The first minute after an API server restart, on both backends with the same code: 300 converged clusters cost no
/// reconcile and at most one batched confirmation (⌈N/100⌉ + 2 DescribeClusters) — the relist that every expired
/// watch forces is not a change; the restart makes no Warning Event (its 401/403/429/503 are retried quietly) and no
/// storm of 409 Conflicts; and after a second outage 20 s after the first (5 s on the emulator), the informers watch
/// again within the short back-off, measured by how soon a change made right after the server is ready gets reconciled
/// (printed). The gap is no wait for the back-off to relax: it starts over after a list or watch that works
/// (WatchBackoff), and the probe between the outages is reconciled only once the informers watch again. A back-off
/// that relaxed only after a quiet period instead (client-go's resets after 2 min) would still be long after either gap.
/// </summary>
[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]
public sealed class LaneRestartTests(LaneBackend backend)
{
    private const int N = 300;
    private const string Prefix = "rst-";

    private readonly TimeSpan _gapBetweenOutages = backend == LaneBackend.Real ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(5);

    private LaneEnvironment _lane = null!;
    private ReconcileLog _reconciles = null!;
    private List<string> _names = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _lane = await LaneEnvironment.StartAsync(backend);
        _reconciles = new ReconcileLog(Prefix);
        // No periodic drift scan during the test: every DescribeClusters after the restart is the restart's.
        await _lane.StartOperatorAsync(new Dictionary<string, string?>
        {
            ["ResyncPeriod"] = "01:00:00", ["AwsWriteQps"] = "200", ["AwsWriteBurst"] = "200", ["AwsReadQps"] = "200", ["AwsReadBurst"] = "200",
            ["Workers"] = "8",
        });
        await _lane.Plane.KubectlAsync("apply", "-f", Path.Combine(RepositoryLayout.SampleDirectory, "secret-aws-credentials.yaml"),
            "-f", Path.Combine(RepositoryLayout.SampleDirectory, "awsprovider-static.yaml"));
        _names = [.. Enumerable.Range(0, N).Select(i => $"{Prefix}{i:000}")];
        await _lane.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray([.. _names.Select(n => (JsonNode)new JsonObject
            {
                ["apiVersion"] = ApiGroup.ApiVersion,
                ["kind"] = ECSCluster.KindName,
                ["metadata"] = new JsonObject { ["name"] = n, ["namespace"] = "default" },
                ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "localstack" }, ["clusterName"] = n },
            })]),
        });
        var converged = 0;
        await Eventually.UntilAsync(async () => (converged = await ConvergedAsync()) == N, () => $"{converged} of {N} converged", TimeSpan.FromMinutes(5),
            TimeSpan.FromSeconds(1));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _reconciles?.Dispose();
        if (_lane is not null)
        {
            await _lane.DisposeAsync();
        }
    }

    [Test, Order(1)]
    public async Task An_apiserver_restart_over_300_converged_clusters_costs_no_reconcile_and_no_warning()
    {
        var reconcilesBefore = _reconciles.Count;
        var describesBefore = DescribesOfTheFleet();
        var restartedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();

        await _lane.Plane.RestartApiServerAsync(hard: false, TimeSpan.FromSeconds(2));
        var probe = await ProbeAsync("after-first");
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: restart done after {clock.Elapsed.TotalSeconds:0.0} s; a change made then was reconciled {probe.TotalSeconds:0.0} s later");

        var describes = DescribesOfTheFleet() - describesBefore;
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: after the restart, {_reconciles.Count - reconcilesBefore} reconciles and {describes} DescribeClusters for {N} clusters");
        (_reconciles.Count - reconcilesBefore).Should().Be(0, "a relist of unchanged objects is no change");
        describes.Should().BeLessThanOrEqualTo((N + 99) / 100 + 2);
        var warnings = (await _lane.Admin.CoreV1.ListNamespacedEventAsync("default")).Items
            .Where(e => e.Type == "Warning" && e.InvolvedObject.Kind is ECSCluster.KindName or AWSProvider.KindName
                && (e.LastTimestamp ?? e.EventTime ?? DateTime.MinValue) >= restartedAt.AddSeconds(-1)).ToList();
        warnings.Select(w => $"{w.InvolvedObject.Name}: {w.Reason} {w.Message}").Should().BeEmpty("a restarting API server is no failure to report");
        _lane.Logs.Lines.Count(l => l.Contains("409", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(3, "no storm of conflicts");
    }

    [Test, Order(2)]
    public async Task A_second_outage_soon_after_the_first_finds_the_informers_watching_again_promptly()
    {
        await _lane.Plane.RestartApiServerAsync(hard: true, TimeSpan.FromSeconds(2));
        await ProbeAsync("between");
        // The scenario's gap between two outages, not a wait for a condition.
        await Task.Delay(_gapBetweenOutages);
        await _lane.Plane.RestartApiServerAsync(hard: true, TimeSpan.FromSeconds(2));
        var probe = await ProbeAsync("after-second");
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: after the second outage, a change made once the server was ready was reconciled {probe.TotalSeconds:0.0} s later");
        (await ConvergedAsync()).Should().Be(N);
    }

    /// <summary>Creates a cluster as soon as the API server takes it; returns how long until it was Ready.</summary>
    private async Task<TimeSpan> ProbeAsync(string name)
    {
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await _lane.Admin.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
                {
                    ["apiVersion"] = ApiGroup.ApiVersion,
                    ["kind"] = ECSCluster.KindName,
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
                    ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "localstack" }, ["clusterName"] = name },
                }, ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName);
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
            {
                return false;
            }
        }, $"{_lane.Plane.Description} to take a write", TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(100));
        var created = Stopwatch.StartNew();
        await _lane.WaitReadyAsync("default", name, TimeSpan.FromSeconds(120));
        return created.Elapsed;
    }

    private int DescribesOfTheFleet() =>
        _lane.Aws.RecordedRequests.Count(r => r.Contains("DescribeClusters", StringComparison.Ordinal) && r.Contains($"\"{Prefix}", StringComparison.Ordinal));

    private async Task<int> ConvergedAsync()
    {
        var list = await _lane.Admin.CustomObjects.ListNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", ECSCluster.PluralName);
        var clusters = EcsOperatorModule.Json.Deserialize<Operator.Core.Kubernetes.ListPage<ECSCluster>>(EcsOperatorModule.Json.Serialize(list));
        return clusters.Items!.Count(c => c.Metadata.Name.StartsWith(Prefix, StringComparison.Ordinal)
            && c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation
            && c.Status.Conditions?.Any(x => x.Type == "Synced" && x.Status == "True") == true);
    }
}
