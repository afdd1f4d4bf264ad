using Operator.Core.Api.V1Alpha1;
using Operator.Testing.Kubernetes;
using Operator.Tests.Aws;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What a real apiserver's timing costs: watch events of our own writes arriving before (or after) the writes'
/// responses, an apiserver failing writes for a while, a write refused because the cache was behind, and a provider
/// and its clusters applied at once. The
/// assertions count reconciles, AWS calls and Events; none bounds wall-clock time. The clock is real; periods are
/// shortened where a test waits for them (a 1.5 s resync; during the write outage, writes and Events retried at least
/// every half second instead of backing off to 5 s).
/// </summary>
[TestFixture]
public sealed class RealTimingTests
{
    private const string Reconciles = "controller_runtime_reconcile_total";

    [TestCase(WatchEventOrder.EventFirst)]
    [TestCase(WatchEventOrder.ResponseFirst)]
    public async Task Ten_clusters_created_one_at_a_time_cost_one_reconcile_and_one_describe_each(WatchEventOrder order)
    {
        await using var bed = await OperatorTestBed.StartAsync(watchOrder: order);
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        using var metrics = new AwsMetricsRecorder(bed.App!.Services.GetRequiredService<IMeterFactory>());
        var since = DateTimeOffset.UtcNow;

        for (var i = 0; i < 10; i++)
        {
            await bed.Kube.CreateClusterAsync("default", $"one-{i}");
            await bed.WaitReadyAsync("default", $"one-{i}");
        }
        await SettledAsync(bed, metrics);

        var reconciles = metrics.Sum(Reconciles, ("controller", "ecscluster"));
        var describes = bed.OperatorCalls(since).GetValueOrDefault("DescribeClusters");
        TestContext.Out.WriteLine($"{order}: 10 creations cost {reconciles} reconciles and {describes} DescribeClusters");
        reconciles.Should().BeLessThanOrEqualTo(11, "the echoes of our finalizer and status writes must not reconcile again");
        describes.Should().BeLessThanOrEqualTo(12);
    }

    [Test]
    public async Task A_provider_is_rechecked_exactly_once_per_resync_period()
    {
        // Longer than a check takes on a loaded machine: two resyncs while one check waits for a worker would be one
        // queued key, and so one check.
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(1.5), watchOrder: WatchEventOrder.EventFirst);
        var resyncs = new ResyncCounter();
        bed.App!.Services.GetRequiredService<Informer<AWSProvider>>().AddHandler(resyncs);
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        using var metrics = new AwsMetricsRecorder(bed.App.Services.GetRequiredService<IMeterFactory>());
        await SettledAsync(bed, metrics);
        var checks0 = bed.Aws.Calls.Count("GetCallerIdentity");
        var resyncs0 = resyncs.Count;

        // Each resync must cause exactly one GetCallerIdentity: wait for five periods to be both ticked and checked.
        await Eventually.UntilAsync(() =>
        {
            var periods = resyncs.Count - resyncs0;
            return periods >= 5 && bed.Aws.Calls.Count("GetCallerIdentity") - checks0 == periods;
        }, "one identity check per resync period", TimeSpan.FromSeconds(60));
        await SettledAsync(bed, metrics);
        (bed.Aws.Calls.Count("GetCallerIdentity") - checks0).Should().Be(resyncs.Count - resyncs0,
            "the re-check's own status write must not re-check again");
    }

    [Test]
    public async Task An_apiserver_failing_writes_during_twenty_creations_costs_no_extra_AWS_reads_and_loses_no_event()
    {
        // The outage is what this test studies, not the AWS write bucket (at its default 2 per second the creations
        // alone would take five seconds); its failed writes and Events are retried at least every half second.
        await using var bed = await OperatorTestBed.StartAsync(watchOrder: WatchEventOrder.EventFirst,
            settings: new() { ["AwsWriteBurst"] = "100", ["AwsWriteQps"] = "100" }, services: s =>
            {
                OperatorTestBed.Adjust<WriteRetryOptions>(s, o => o with { MaxDelay = TimeSpan.FromMilliseconds(500) });
                OperatorTestBed.Adjust<EventRecorderOptions>(s, o => o with { RetryMaxDelay = TimeSpan.FromMilliseconds(500) });
            });
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        var since = DateTimeOffset.UtcNow;

        // Status writes answer 500/503/429 and Event writes 503 until the outage ends (the objects themselves stay writable).
        var faults = bed.Kube.Emulator.Faults;
        var codes = new[] { 500, 503, 429 };
        var statusRules = Enumerable.Range(0, 20)
            .Select(i => faults.FailRequests(codes[i % 3], $"/apis/{ApiGroup.Group}/{ApiGroup.Version}/namespaces/default/{ECSCluster.PluralName}/out-{i}/status", "patch"))
            .ToList();
        var eventRule = faults.FailRequests(503, "/api/v1/namespaces/default/events", "create");
        for (var i = 0; i < 20; i++)
        {
            await bed.Kube.CreateClusterAsync("default", $"out-{i}");
        }
        await Eventually.UntilAsync(() => statusRules.Sum(r => r.Hits) >= 12 && eventRule.Hits >= 4, "the outage to bite");
        faults.Clear();

        for (var i = 0; i < 20; i++)
        {
            await bed.WaitReadyAsync("default", $"out-{i}");
        }
        await Eventually.UntilAsync(async () => (await CreatedEventsAsync(bed)).Count == 20, "a Created event for every cluster");
        var describes = bed.OperatorCalls(since).GetValueOrDefault("DescribeClusters");
        TestContext.Out.WriteLine($"20 creations during a write outage: {describes} DescribeClusters, {statusRules.Sum(r => r.Hits)} failed status patches, {eventRule.Hits} failed event creates");
        describes.Should().BeLessThanOrEqualTo(25, "a failed status write is retried as a write, not by re-running the reconcile");
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(20);
    }

    [Test]
    public async Task A_provider_and_a_cluster_applied_together_become_Ready_with_no_warning_and_no_timed_wait()
    {
        // Response-first delivery is the order that exposed the race: a wake-up sent when the provider's status
        // write returns would reach the cluster before the informer has the new provider status.
        await using var bed = await OperatorTestBed.StartAsync(watchOrder: WatchEventOrder.ResponseFirst,
            services: s => s.AddSingleton(new ClusterReconcilerOptions { BlockedRequeue = TimeSpan.FromHours(1) }));
        using var metrics = new AwsMetricsRecorder(bed.App!.Services.GetRequiredService<IMeterFactory>());
        // The identity check takes a second, so the cluster's first pass finds the provider not validated yet.
        bed.Aws.Faults.SetLatency("GetCallerIdentity", TimeSpan.FromSeconds(1));
        await bed.CreateStaticProviderAsync("default", "p");
        var providerCache = bed.App.Services.GetRequiredService<Informer<AWSProvider>>().Store;
        await Eventually.UntilAsync(() => providerCache.Get("default/p") is not null, "the provider in the operator's cache");
        await bed.Kube.CreateClusterAsync("default", "together");

        // A blocked requeue would take an hour here: Ready means the provider's status write woke the cluster.
        await bed.WaitReadyAsync("default", "together");
        await SettledAsync(bed, metrics);
        var events = (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=together")).Items;
        events.Where(e => e.Type == "Warning").Select(e => $"{e.Reason}: {e.Message}").Should().BeEmpty();
        metrics.Sum(Reconciles, ("controller", "ecscluster")).Should().BeLessThanOrEqualTo(2,
            "at most one pass that finds the provider not validated yet, then the one that creates");
        bed.OperatorCalls(DateTimeOffset.MinValue).GetValueOrDefault("DescribeClusters").Should().Be(1);
    }

    [Test]
    public async Task A_write_refused_with_409_because_the_cache_was_behind_is_retried_with_no_warning_or_failed_condition()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        // What a cache one write behind costs: the first pass's finalizer patch (it carries the cached resourceVersion)
        // is answered 409, as when the echo of the operator's previous status write has not arrived yet.
        var conflict = bed.Kube.Emulator.Faults.FailRequests(409,
            pathPrefix: $"/apis/{ApiGroup.Group}/{ApiGroup.Version}/namespaces/default/ecsclusters/stale", verb: "patch", times: 1);
        await bed.Kube.CreateClusterAsync("default", "stale");
        var ready = await bed.WaitReadyAsync("default", "stale");
        conflict.Hits.Should().Be(1);

        // Events are sent in order per object: once the Created event is visible, a Warning before it would be too.
        List<k8s.Models.Corev1Event> events = [];
        await Eventually.UntilAsync(async () =>
        {
            events = [.. (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=stale")).Items];
            return events.Any(e => e.Reason == ClusterConditions.EventReasons.Created);
        }, "the Created event");
        events.Where(e => e.Type == "Warning").Select(e => $"{e.Reason}: {e.Message}").Should().BeEmpty();
        ready.Status!.Conditions!.Should().NotContain(c => c.Reason == Operator.Core.Status.ReconcileFailure.KubernetesApiError);
    }

    private static async Task<List<k8s.Models.Corev1Event>> CreatedEventsAsync(OperatorTestBed bed) =>
        [.. (await bed.Client.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.Reason == "Created" && e.InvolvedObject.Name.StartsWith("out-", StringComparison.Ordinal))];

    /// <summary>Waits until both controllers have nothing queued and nothing running.</summary>
    private static Task SettledAsync(OperatorTestBed bed, AwsMetricsRecorder metrics)
    {
        var clusters = bed.App!.Services.GetRequiredService<Controller<ECSCluster>>();
        var providers = bed.App.Services.GetRequiredService<Controller<AWSProvider>>();
        return Eventually.UntilAsync(
            () => clusters.QueueLength == 0 && providers.QueueLength == 0 && metrics.Sum("controller_runtime_active_workers") <= 0,
            "the controllers to settle");
    }

    /// <summary>Counts the informer's periodic resyncs (an update with the same object as old and new).</summary>
    private sealed class ResyncCounter : IInformerHandler<AWSProvider>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnAdd(AWSProvider obj)
        {
        }

        public void OnUpdate(AWSProvider oldObj, AWSProvider newObj)
        {
            if (ReferenceEquals(oldObj, newObj))
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void OnDelete(AWSProvider obj)
        {
        }
    }
}
