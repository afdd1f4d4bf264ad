using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Engine;

/// <summary>
/// The informer against the API emulator over HTTP with the real KubernetesClient. Where a test is about the
/// informer's timers (its resync, its back-off), the informer runs on a fake clock that the test advances.
/// </summary>
[TestFixture]
public sealed class InformerTests
{
    private KubeTestBed _bed = null!;
    private CancellationTokenSource _stop = null!;

    [SetUp]
    public async Task SetUp()
    {
        _bed = await KubeTestBed.StartAsync(bookmarkInterval: TimeSpan.FromMilliseconds(200));
        _stop = new CancellationTokenSource();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        await _bed.DisposeAsync();
    }

    private (Informer<ECSCluster> Informer, RecordingHandler Handler, Task Run) Start(InformerOptions? options = null, TimeProvider? time = null)
    {
        var informer = new Informer<ECSCluster>(
            new RawApiClient(_bed.Client, EcsOperatorModule.Json), options ?? new InformerOptions { ResyncPeriod = TimeSpan.Zero, PageSize = 2 },
            time ?? TimeProvider.System, NullLoggerFactory.Instance, new InformerMetrics(new TestMeterFactory()));
        var handler = new RecordingHandler();
        informer.AddHandler(handler);
        return (informer, handler, informer.RunAsync(_stop.Token));
    }

    [Test]
    public async Task Lists_in_pages_then_watches_every_change()
    {
        for (var i = 0; i < 5; i++)
        {
            await _bed.CreateClusterAsync("default", $"c{i}");
        }
        var (informer, handler, _) = Start();
        (await informer.WaitForSyncAsync(_stop.Token)).Should().BeTrue();
        informer.Store.Count.Should().Be(5);
        _bed.Emulator.Requests.Entries.Count(e => e.Verb == "list" && e.Resource == "ecsclusters").Should().BeGreaterThanOrEqualTo(3, "5 objects in pages of 2");

        await _bed.CreateClusterAsync("default", "c5");
        await _bed.PatchClusterAsync("default", "c0", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["a"] = "b" } } });
        await _bed.DeleteClusterAsync("default", "c1");

        await Eventually.UntilAsync(() => handler.Count("add", "default/c5") == 1 && handler.Count("update", "default/c0") == 1
            && handler.Count("delete", "default/c1") == 1, "add, update and delete notifications");
        informer.Store.Get("default/c0")!.Spec.Tags.Should().ContainKey("a");
        informer.Store.Get("default/c1").Should().BeNull();
    }

    [Test]
    public async Task Caches_objects_without_managed_fields_or_the_last_applied_annotation_but_keeps_other_annotations()
    {
        await _bed.CreateClusterAsync("default", "applied");
        await _bed.PatchClusterAsync("default", "applied", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { [Informer<ECSCluster>.LastAppliedAnnotation] = "{\"spec\":{}}", ["team"] = "a" },
            },
        });
        await _bed.CreateClusterAsync("default", "only-applied");
        await _bed.PatchClusterAsync("default", "only-applied", new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Informer<ECSCluster>.LastAppliedAnnotation] = "{}" } },
        });
        var (informer, handler, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);

        var cached = informer.Store.Get("default/applied")!;
        cached.Metadata.Annotations.Should().Equal(new Dictionary<string, string> { ["team"] = "a" });
        cached.Metadata.ManagedFields.Should().BeNull();
        informer.Store.Get("default/only-applied")!.Metadata.Annotations.Should().BeNull();

        // A watch event is trimmed the same way as a listed object.
        await _bed.PatchClusterAsync("default", "applied", new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Informer<ECSCluster>.LastAppliedAnnotation] = "{\"x\":1}", ["team"] = "b" } },
        });
        // Handlers are notified after the store is updated, so wait for the notification, not only for the store.
        await Eventually.UntilAsync(() => informer.Store.Get("default/applied")!.Metadata.Annotations?["team"] == "b"
            && handler.Count("update", "default/applied") >= 1, "the update, cached and notified");
        informer.Store.Get("default/applied")!.Metadata.Annotations.Should().NotContainKey(Informer<ECSCluster>.LastAppliedAnnotation);
        handler.Count("update", "default/applied").Should().Be(1);
    }

    [Test]
    public async Task Dropped_watches_resume_from_the_last_resource_version_without_relisting_or_missing_events()
    {
        var (informer, handler, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        var lists = _bed.Emulator.Requests.Count("list", "ecsclusters");

        for (var round = 0; round < 3; round++)
        {
            await Eventually.UntilAsync(() => _bed.Emulator.OpenWatchCount > 0, "an open watch");
            _bed.Emulator.Faults.DropWatches(abortConnections: round % 2 == 0);
            await _bed.CreateClusterAsync("default", $"r{round}");
        }

        await Eventually.UntilAsync(() => Enumerable.Range(0, 3).All(r => handler.Count("add", $"default/r{r}") == 1), "every add after each drop");
        _bed.Emulator.Requests.Count("list", "ecsclusters").Should().Be(lists, "a closed watch resumes from its RV, it does not relist");
        informer.Store.Count.Should().Be(3);
    }

    [Test]
    public async Task Watch_resumes_from_a_bookmark_after_compaction_without_a_relist()
    {
        var (informer, _, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        var lists = _bed.Emulator.Requests.Count("list", "ecsclusters");
        // Writes to another kind move the global resourceVersion; only bookmarks can carry it to this informer.
        await _bed.EnsureNamespaceAsync("bookmark-a");
        await _bed.EnsureNamespaceAsync("bookmark-b");
        var target = _bed.Emulator.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.UntilAsync(() => LastRv(informer) >= long.Parse(target, System.Globalization.CultureInfo.InvariantCulture),
            "a bookmark carrying the latest resourceVersion");

        _bed.Emulator.Faults.CompactHistory();
        _bed.Emulator.Faults.DropWatches();
        await _bed.CreateClusterAsync("default", "after-compaction");

        await Eventually.UntilAsync(() => informer.Store.Get("default/after-compaction") is not null, "the object created after compaction");
        _bed.Emulator.Requests.Count("list", "ecsclusters").Should().Be(lists, "the bookmark RV is still within history");
    }

    [Test]
    public async Task Expired_watch_relists_and_reports_a_delete_that_happened_while_disconnected()
    {
        await _bed.CreateClusterAsync("default", "keep");
        await _bed.CreateClusterAsync("default", "doomed");
        var (informer, handler, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        var lists = _bed.Emulator.Requests.Count("list", "ecsclusters");

        // Disconnect: every watch attempt fails until cleared; the object goes and history is compacted meanwhile.
        var outage = _bed.Emulator.Faults.FailRequests(503, "/apis/aws-infra-operator.runner.codes", verb: "watch");
        _bed.Emulator.Faults.DropWatches(abortConnections: true);
        await Eventually.UntilAsync(() => _bed.Emulator.Requests.Entries.Any(e => e.Verb == "watch" && e.StatusCode == 503), "a failed re-watch");
        await _bed.DeleteClusterAsync("default", "doomed");
        await _bed.CreateClusterAsync("default", "born-while-away");
        _bed.Emulator.Faults.CompactHistory();
        _bed.Emulator.Faults.Clear();
        _ = outage;

        await Eventually.UntilAsync(() => handler.Count("delete", "default/doomed") == 1 && handler.Count("add", "default/born-while-away") == 1,
            "the delete and add that happened while disconnected");
        _bed.Emulator.Requests.Count("list", "ecsclusters").Should().BeGreaterThan(lists, "410 forces a relist");
        informer.Store.Keys().Should().BeEquivalentTo("default/keep", "default/born-while-away");
    }

    [Test]
    public async Task An_API_server_restart_relists_without_reporting_unchanged_objects_and_reports_what_changed()
    {
        // Bookmarks about once a minute, as a real server sends them, and writes of another kind meanwhile: the
        // informer's resourceVersion is older than the restarted server's watch cache, so its resumed watch gets 410.
        await _bed.DisposeAsync();
        _bed = await KubeTestBed.StartAsync(bookmarkInterval: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 20; i++)
        {
            await _bed.CreateClusterAsync("default", $"c{i:00}");
        }
        var (informer, handler, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        var relists = _bed.Emulator.Requests.Count("list", "ecsclusters");
        var before = handler.Events.Count;
        await _bed.Client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "other-kind" } }, "default");

        // A real restart: every watch ends, history is gone (resuming gets 410), the relist returns every object again.
        var restart = _bed.Emulator.RestartAsync(new Operator.Testing.Kubernetes.KubeApiRestartOptions { RefuseConnectionsFor = TimeSpan.FromSeconds(1) });
        await restart;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await _bed.PatchClusterAsync("default", "c07", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["changed"] = "yes" } } });
                return true;
            }
            catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode is 429 or 503)
            {
                return false; // still starting
            }
        }, "the restarted server to take a write");

        await Eventually.UntilAsync(() => handler.Count("update", "default/c07") == 1, "the change made after the restart", TimeSpan.FromSeconds(60));
        _bed.Emulator.Requests.Count("list", "ecsclusters").Should().BeGreaterThan(relists, "the resumed watch got 410 and relisted");
        handler.Events.Skip(before).Select(e => $"{e.Type} {e.Key}").Should().Equal(["update default/c07"],
            "a relist that returns an object with the resourceVersion the cache holds is not a change");
        informer.Store.Count.Should().Be(20);
    }

    [Test]
    public async Task A_watch_down_for_long_is_reported_and_clears_once_it_watches_again()
    {
        await _bed.CreateClusterAsync("default", "a");
        var (informer, _, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.UntilAsync(() => _bed.Emulator.OpenWatchCount > 0, "the informer watching");
        informer.WatchDownFor.Should().Be(TimeSpan.Zero);

        _bed.Emulator.Faults.FailRequests(500, "/apis/aws-infra-operator.runner.codes", verb: "watch");
        _bed.Emulator.Faults.FailRequests(500, "/apis/aws-infra-operator.runner.codes", verb: "list");
        _bed.Emulator.Faults.DropWatches(abortConnections: true);
        await Eventually.UntilAsync(() => informer.WatchDownFor > TimeSpan.FromSeconds(1), "the watch to be down for a while");
        _bed.Emulator.Faults.Clear();
        await Eventually.UntilAsync(() => informer.WatchDownFor == TimeSpan.Zero, "the watch to be up again");
    }

    [Test]
    public async Task Backs_off_on_429_and_500_and_recovers()
    {
        // The back-off waits on the informer's clock: a fake one, advanced below while the test waits, so its seconds
        // of delays pass in a fraction of that and are measured on the clock the informer waited on.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var step = TimeSpan.FromMilliseconds(100);
        var (informer, handler, _) = Start(time: time);
        await informer.WaitForSyncAsync(_stop.Token);
        // The watch after the list must be open before the faults: one still on its way in would pass before them and
        // be registered after the drop, so it would see the new object with no failed watch at all.
        await Eventually.UntilAsync(() => _bed.Emulator.OpenWatchCount >= 1, "the informer's watch open");
        _bed.Emulator.Faults.FailRequests(429, verb: "watch", times: 2);
        _bed.Emulator.Faults.FailRequests(500, verb: "watch", times: 1);
        _bed.Emulator.Faults.DropWatches();
        await _bed.CreateClusterAsync("default", "after-errors");

        // When each failed watch was answered on the informer's clock, as first seen in the request log: at most one
        // step late, so a span measured here is at most one step shorter than the one waited (at least 2 s: each 429
        // asks to wait 1 s).
        var failedAt = new List<DateTimeOffset>();
        await Eventually.UntilAsync(() =>
        {
            for (var seen = Watches().Count(e => e.StatusCode >= 400); failedAt.Count < seen;)
            {
                failedAt.Add(time.GetUtcNow());
            }
            if (handler.Count("add", "default/after-errors") == 1)
            {
                return true;
            }
            time.Advance(step);
            return false;
        }, "recovery after 3 failed watches");
        var watches = Watches();
        watches.Count(e => e.StatusCode == 429).Should().Be(2);
        watches.Count(e => e.StatusCode == 500).Should().Be(1);
        // Back-off: the failed attempts are spread out (the initial delay, then twice it at least), not fired in a tight loop.
        failedAt.Should().HaveCount(3);
        (failedAt[^1] - failedAt[0]).Should().BeGreaterThanOrEqualTo(WatchBackoff.Initial + (WatchBackoff.Initial * 2));

        List<Operator.Testing.Kubernetes.RequestLogEntry> Watches() =>
            [.. _bed.Emulator.Requests.Entries.Where(e => e.Verb == "watch" && e.Resource == "ecsclusters")];
    }

    [Test]
    public async Task Resync_redelivers_cached_objects_without_an_api_call()
    {
        await _bed.CreateClusterAsync("default", "a");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var informer = new Informer<ECSCluster>(new RawApiClient(_bed.Client, EcsOperatorModule.Json),
            new InformerOptions { ResyncPeriod = TimeSpan.FromMinutes(10) }, time, NullLoggerFactory.Instance,
            new InformerMetrics(new TestMeterFactory()));
        var handler = new RecordingHandler();
        informer.AddHandler(handler);
        _ = informer.RunAsync(_stop.Token);
        await informer.WaitForSyncAsync(_stop.Token);
        var requests = _bed.Emulator.Requests.Entries.Count(e => e.Resource == "ecsclusters" && e.Verb != "watch");

        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.UntilAsync(() => handler.Count("resync", "default/a") == 1, "a resync notification");
        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.UntilAsync(() => handler.Count("resync", "default/a") == 2, "a second resync");

        _bed.Emulator.Requests.Entries.Count(e => e.Resource == "ecsclusters" && e.Verb != "watch").Should().Be(requests);
    }

    private static long LastRv(Informer<ECSCluster> informer) =>
        informer.LastResourceVersions.Select(v => long.Parse(string.IsNullOrEmpty(v) ? "0" : v, System.Globalization.CultureInfo.InvariantCulture)).Max();
}

/// <summary>A meter factory for tests: real meters, disposed with the factory.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }
        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _meters.ForEach(m => m.Dispose());
        }
    }
}
