using System.Text.Json;
using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>Watch semantics: initial state, resume by resourceVersion, bookmarks, expiry, timeouts, drops.</summary>
[TestFixture]
public sealed class KubeApiEmulatorWatchTests : EmulatorTestBase
{
    private const string ClustersPath = $"/apis/{Group}/{Version}/namespaces/default/{Plural}";

    protected override KubeApiEmulatorOptions Options() => new()
    {
        CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"),
        BookmarkInterval = TimeSpan.FromMilliseconds(200),
    };

    private static string TypeOf(JsonObject ev) => ev["type"]!.GetValue<string>();

    private static string NameOf(JsonObject ev) => ev["object"]!["metadata"]!["name"]!.GetValue<string>();

    private static string RvOf(JsonObject ev) => ev["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>();

    [Test]
    public async Task Watch_from_empty_version_starts_with_synthetic_ADDED_then_streams_changes()
    {
        await CreateClusterAsync(Cluster("a"));
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true");

        var first = await watch.NextAsync();
        TypeOf(first).Should().Be("ADDED");
        NameOf(first).Should().Be("a");

        await MergePatchStatusAsync("a", JsonNode.Parse("""{"status":{"ready":true}}""")!.AsObject());
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "a");
        var modified = await watch.NextAsync();
        var deleted = await watch.NextAsync();

        TypeOf(modified).Should().Be("MODIFIED");
        modified["object"]!["status"]!["ready"]!.GetValue<bool>().Should().BeTrue();
        TypeOf(deleted).Should().Be("DELETED");
        long.Parse(RvOf(deleted)).Should().BeGreaterThan(long.Parse(RvOf(modified)));
    }

    [Test]
    public async Task Watch_with_watch_1_from_a_list_version_sends_only_later_events()
    {
        await CreateClusterAsync(Cluster("old"));
        var list = ToNode(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural));
        await CreateClusterAsync(Cluster("new"));

        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=1&resourceVersion={Rv(list)}");

        var ev = await watch.NextAsync();
        TypeOf(ev).Should().Be("ADDED");
        NameOf(ev).Should().Be("new");
    }

    [Test]
    public async Task Resuming_from_a_bookmark_misses_no_event()
    {
        await using (var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion=0&allowWatchBookmarks=true"))
        {
            await CreateClusterAsync(Cluster("a"));
            TypeOf(await watch.NextNonBookmarkAsync()).Should().Be("ADDED");
            JsonObject bookmark;
            do
            {
                bookmark = await watch.NextAsync();
            }
            while (TypeOf(bookmark) != "BOOKMARK");

            bookmark["object"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["kind", "apiVersion", "metadata"]);
            var resumeFrom = bookmark["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>();
            await watch.DisposeAsync();

            // Changes while no watch is open.
            await CreateClusterAsync(Cluster("b"));
            await MergePatchClusterAsync("a", JsonNode.Parse("""{"spec":{"providerRef":{"name":"c2"}}}""")!.AsObject());

            await using var resumed = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion={resumeFrom}&allowWatchBookmarks=true");
            var e1 = await resumed.NextNonBookmarkAsync();
            var e2 = await resumed.NextNonBookmarkAsync();
            (TypeOf(e1), NameOf(e1)).Should().Be(("ADDED", "b"));
            (TypeOf(e2), NameOf(e2)).Should().Be(("MODIFIED", "a"));
        }
    }

    [Test]
    public async Task Watch_from_a_compacted_version_gets_an_ERROR_event_with_410_Expired()
    {
        var created = await CreateClusterAsync(Cluster("a"));
        await CreateClusterAsync(Cluster("b"));
        Emulator.Faults.CompactHistory();

        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion={Rv(created)}");
        var events = await watch.ReadToEndAsync();

        watch.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        events.Should().ContainSingle();
        TypeOf(events[0]).Should().Be("ERROR");
        var status = events[0]["object"]!;
        status["code"]!.GetValue<int>().Should().Be(410);
        status["reason"]!.GetValue<string>().Should().Be("Expired");
        status["message"]!.GetValue<string>().Should().StartWith($"too old resource version: {Rv(created)} (");
    }

    [Test]
    public async Task Watch_from_the_current_version_after_compaction_still_works()
    {
        await CreateClusterAsync(Cluster("a"));
        Emulator.Faults.CompactHistory();
        var rv = Emulator.CurrentResourceVersion;

        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion={rv}");
        await CreateClusterAsync(Cluster("b"));

        NameOf(await watch.NextAsync()).Should().Be("b");
    }

    [Test]
    public async Task Timeout_ends_the_watch_with_a_final_bookmark()
    {
        // The object exists before the watch opens, so its ADDED is the watch's initial state and comes first however
        // slowly this test runs (a periodic bookmark can precede an event created after the watch opened).
        await CreateClusterAsync(Cluster("a"));
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1");

        var events = await watch.ReadToEndAsync();

        events.Select(TypeOf).Should().StartWith(["ADDED"]);
        TypeOf(events[^1]).Should().Be("BOOKMARK");
        events[^1]["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be(Emulator.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task Label_selector_watch_sees_objects_enter_and_leave_the_selection()
    {
        await CreateClusterAsync(Cluster("a"));
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion={Emulator.CurrentResourceVersion}&labelSelector=env%3Dprod");

        await MergePatchClusterAsync("a", JsonNode.Parse("""{"metadata":{"labels":{"env":"prod"}}}""")!.AsObject());
        await MergePatchClusterAsync("a", JsonNode.Parse("""{"metadata":{"labels":{"env":"dev"}}}""")!.AsObject());

        TypeOf(await watch.NextAsync()).Should().Be("ADDED");
        TypeOf(await watch.NextAsync()).Should().Be("DELETED");
    }

    [Test]
    public async Task Finalizer_blocked_delete_emits_MODIFIED_then_DELETED_after_finalizers_go()
    {
        await CreateClusterAsync(Cluster("a", finalizers: new JsonArray("x/y")));
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true&resourceVersion={Emulator.CurrentResourceVersion}");

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "a");
        var marked = await watch.NextAsync();
        TypeOf(marked).Should().Be("MODIFIED");
        marked["object"]!["metadata"]!["deletionTimestamp"].Should().NotBeNull();

        await MergePatchClusterAsync("a", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!.AsObject());
        var deleted = await watch.NextAsync();
        TypeOf(deleted).Should().Be("DELETED");
    }

    [Test]
    public async Task Dropping_watches_ends_open_streams()
    {
        await using var clean = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true");
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the watch is open");

        Emulator.Faults.DropWatches();
        await clean.Ended.WaitAsync(Generous);

        await using var reset = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"{ClustersPath}?watch=true");
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the second watch is open");
        Emulator.Faults.DropWatches(abortConnections: true);
        await reset.Ended.WaitAsync(Generous);
        // The client sees the stream end before the server has finished unregistering it.
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 0, "the server to close both watches");
    }

    [Test]
    public async Task Http_410_mode_answers_expired_watches_with_a_Gone_status()
    {
        await using var emulator = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions { ExpiredWatchAsHttpStatus = true });
        using var client = emulator.CreateClient(EcsOperatorModule.Json);
        var cm = await client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "a" } }, "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "b" } }, "default");
        emulator.Faults.CompactHistory();

        await using var watch = await WatchCollector.OpenAsync(emulator.BaseAddress, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={cm.Metadata.ResourceVersion}");

        watch.Response.StatusCode.Should().Be(HttpStatusCode.Gone);
        var body = JsonNode.Parse(await watch.Response.Content.ReadAsStringAsync())!;
        body["reason"]!.GetValue<string>().Should().Be("Expired");
    }

    [Test]
    public async Task Typed_watch_events_decode_with_the_operators_json()
    {
        // The client's AOT build has no watcher; the operator watches through RawApiClient and decodes the objects with
        // KubeJson, as its Reflector does.
        using var cts = new CancellationTokenSource(Generous);
        var seen = new List<(string, string)>();
        var list = await Client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: cts.Token);
        var api = new RawApiClient(Client, EcsOperatorModule.Json);
        var enumerate = Task.Run(async () =>
        {
            using var response = await api.WatchAsync("/api/v1/namespaces/default/secrets", list.Metadata.ResourceVersion, 60, null, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                using var ev = JsonDocument.Parse(line);
                var type = ev.RootElement.GetProperty("type").GetString()!;
                if (type == "BOOKMARK")
                {
                    continue;
                }

                seen.Add((type, EcsOperatorModule.Json.Deserialize<V1Secret>(ev.RootElement.GetProperty("object")).Metadata.Name));
                if (type == "DELETED")
                {
                    return;
                }
            }
        }, cts.Token);
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the client is watching");

        await Client.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret { Metadata = new() { Name = "s" } }, "default", cancellationToken: cts.Token);
        await Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "s", "default", cancellationToken: cts.Token);
        await Client.CoreV1.DeleteNamespacedSecretAsync("s", "default", cancellationToken: cts.Token);
        await enumerate.WaitAsync(Generous);

        seen.Should().Equal(("ADDED", "s"), ("MODIFIED", "s"), ("DELETED", "s"));
    }

    [Test]
    public async Task SendInitialEvents_streams_current_state_then_an_initial_events_end_bookmark()
    {
        await CreateClusterAsync(Cluster("a"));
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress,
            $"{ClustersPath}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");

        var added = await watch.NextAsync();
        var bookmark = await watch.NextAsync();

        (TypeOf(added), NameOf(added)).Should().Be(("ADDED", "a"));
        TypeOf(bookmark).Should().Be("BOOKMARK");
        bookmark["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>().Should().Be("true");
    }

    [Test]
    public async Task All_namespaces_watch_sees_every_namespace()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });
        await using var watch = await WatchCollector.OpenAsync(Emulator.BaseAddress, $"/apis/{Group}/{Version}/{Plural}?watch=true&resourceVersion={Emulator.CurrentResourceVersion}");

        await CreateClusterAsync(Cluster("a"));
        await CreateClusterAsync(Cluster("b", "other"), "other");

        (await watch.NextAsync())["object"]!["metadata"]!["namespace"]!.GetValue<string>().Should().Be("default");
        (await watch.NextAsync())["object"]!["metadata"]!["namespace"]!.GetValue<string>().Should().Be("other");
    }

    [Test]
    public async Task Disposing_the_emulator_ends_open_watches_promptly()
    {
        var emulator = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions());
        await using var watch = await WatchCollector.OpenAsync(emulator.BaseAddress, "/api/v1/namespaces?watch=true&allowWatchBookmarks=true");
        await WaitUntilAsync(() => emulator.OpenWatchCount == 1, "the watch is open");
        emulator.Requests.Count("watch", "namespaces").Should().Be(1, "watches are logged when they start");

        await emulator.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await watch.Ended.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
