using Operator.Core.Bulkheads;
using Operator.Tests.Aws;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What creating many clusters at once costs, over the wire with a paced AWS write bucket (the product's burst of 10,
/// refilled at 10 per second instead of the default 2 so the run is short: CreateCluster still waits for tokens, so the
/// provider's reconcile slots stay full and the other keys wait): the
/// lookups before CreateCluster share batched DescribeClusters, no cluster is read again after CreateCluster answered
/// with it, and a key that waits for its provider's slot costs no reconcile (it is parked before its pass), so there
/// is about one reconcile per created cluster.
/// Counts, not timing: calls from the ECS emulator's log, reconciles from <c>controller_runtime_reconcile_total</c>.
/// </summary>
[TestFixture]
public sealed class CreateCostTests
{
    private const int Clusters = 50;

    [Test]
    public async Task Creating_many_clusters_of_one_provider_costs_about_one_read_and_one_reconcile_each()
    {
        await using var bed = await OperatorTestBed.StartAsync(settings: new() { ["AwsWriteQps"] = "10" });
        using var metrics = new AwsMetricsRecorder(bed.App!.Services.GetRequiredService<IMeterFactory>());
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        var since = DateTimeOffset.UtcNow;
        var reconcilesBefore = Reconciles(metrics);

        var names = Enumerable.Range(0, Clusters).Select(i => $"burst-{i:D2}").ToList();
        await Task.WhenAll(names.Select(n => bed.Kube.CreateClusterAsync("default", n)));
        await Eventually.UntilAsync(async () =>
        {
            var ready = 0;
            foreach (var n in names)
            {
                ready += await bed.GetClusterAsync("default", n) is { Status.Ready: true } c && c.Status.ObservedGeneration == c.Metadata.Generation ? 1 : 0;
            }
            return ready == Clusters;
        }, "every cluster Ready", TimeSpan.FromMinutes(3));

        foreach (var n in names)
        {
            var obj = (await bed.GetClusterAsync("default", n))!;
            Ownership.OwnerOf((await bed.DescribeAsync(n))!).Should().Be($"default/{n}");
            obj.Metadata.Annotations![Ownership.CreatedArnAnnotation].Should().EndWith($"cluster/{n}");
            obj.Status!.ClusterARN.Should().EndWith($"cluster/{n}");
        }
        var calls = bed.OperatorCalls(since);
        var reconciles = Reconciles(metrics) - reconcilesBefore;
        TestContext.Out.WriteLine($"calls: {string.Join(", ", calls.Select(kv => $"{kv.Key} {kv.Value}"))}; reconciles {reconciles}; "
            + $"parked for a busy provider {metrics.Sum(ProviderBulkhead.BusyMetric)}, of which deferred before a pass "
            + $"{metrics.Sum("controller_reconcile_deferred_total", ("controller", "ecscluster"))}");
        calls.GetValueOrDefault("CreateCluster").Should().Be(Clusters);
        calls.GetValueOrDefault("DescribeClusters").Should().BeLessThanOrEqualTo(Clusters / 5,
            "lookups of new objects are batched (and no cluster is read again after CreateCluster answered with it)");
        bed.Aws.Calls.Snapshot().Where(c => c.At >= since).Should().NotContain(c => c.ErrorCode == "ThrottlingException");
        var deferred = metrics.Sum("controller_reconcile_deferred_total", ("controller", "ecscluster"));
        reconciles.Should().BeLessThanOrEqualTo(Clusters * 1.1,
            "a key waiting for its provider's slot is parked before its pass (no reconcile), not refused or requeued every 2 s");
        deferred.Should().BeGreaterThan(0, "the provider's slots were full while keys waited (else this test shows nothing)");
    }

    private static double Reconciles(AwsMetricsRecorder metrics) =>
        metrics.Sum("controller_runtime_reconcile_total", ("controller", "ecscluster"));
}
