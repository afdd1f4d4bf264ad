using System.Net.Sockets;
using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// <see cref="KubeApiEmulator.RestartAsync(KubeApiRestartOptions?, CancellationToken)"/> phase by phase, over HTTP, with
/// what a real kube-apiserver v1.32.13 answered during a restart (docs/kubernetes-api-emulator.md). Each window is
/// made long in the test that observes it (seconds for a window polled without a pause, minutes for one read once),
/// so what is asserted does not depend on the machine's speed.
/// </summary>
[TestFixture]
public sealed class KubeApiEmulatorRestartTests : EmulatorTestBase
{
    private const string ServiceAccountUser = "system:serviceaccount:default:robot";

    private static readonly KubeApiRestartOptions Quick = new()
    {
        ShuttingDownFor = TimeSpan.Zero,
        RefuseConnectionsFor = TimeSpan.FromMilliseconds(100),
        AuthorizationNotReadyFor = TimeSpan.Zero,
        HandlersNotInstalledFor = TimeSpan.Zero,
        StorageInitializingFor = TimeSpan.Zero,
    };

    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    private Task<RawResponse> Get(string path, string? token = null) => RawHttp.GetAsync(Emulator.BaseAddress, path, token);

    private async Task<string> RobotTokenAsync()
    {
        await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "default");
        return Emulator.IssueServiceAccountToken("default", "robot");
    }

    [Test]
    public async Task Shutting_down_ends_every_watch_answers_503_and_then_refuses_connections()
    {
        await CreateClusterAsync(Cluster("a"));
        using var watcher = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var watch = await watcher.GetAsync($"{ClusterPath}?watch=true", HttpCompletionOption.ResponseHeadersRead);
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the watch open");
        // The existing object's ADDED is read before the restart: what is asserted is that the stream then ends.
        using var stream = new StreamReader(await watch.Content.ReadAsStreamAsync());
        var streamed = await stream.ReadLineAsync();

        var restart = Emulator.RestartAsync(Quick with { ShuttingDownFor = TimeSpan.FromSeconds(2), RefuseConnectionsFor = TimeSpan.FromSeconds(1) });
        var rest = await stream.ReadToEndAsync();
        RawResponse? shuttingDown = null;
        while (shuttingDown is null && !restart.IsCompleted)
        {
            var answer = await Get($"{ClusterPath}/a");
            shuttingDown = answer.Code == HttpStatusCode.ServiceUnavailable ? answer : null;
        }

        HttpRequestException? refused = null;
        while (refused is null && !restart.IsCompleted)
        {
            try
            {
                await Get("/version");
            }
            catch (HttpRequestException e)
            {
                // A connection made while the listener closes may be reset; the closed listener refuses.
                refused = (e.InnerException as SocketException)?.SocketErrorCode == SocketError.ConnectionRefused ? e : null;
            }
        }

        await restart;

        streamed.Should().Contain("\"ADDED\"", "the watch streamed");
        rest.Should().BeEmpty("its stream ended when shutdown began, with no further event");
        shuttingDown.Should().NotBeNull("requests during the shutdown get 503");
        shuttingDown!.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"apiserver is shutting down","reason":"ServiceUnavailable","code":503}""");
        shuttingDown.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        refused.Should().NotBeNull("the listener is closed after the shutdown, so connections are refused");
        (await Get($"{ClusterPath}/a")).Code.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task A_kill_resets_open_watches_and_answers_no_503()
    {
        await CreateClusterAsync(Cluster("a"));
        using var watcher = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var watch = await watcher.GetAsync($"{ClusterPath}?watch=true", HttpCompletionOption.ResponseHeadersRead);
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the watch open");

        var restart = Emulator.RestartAsync(Quick with { Kill = true, ShuttingDownFor = TimeSpan.FromSeconds(5), RefuseConnectionsFor = TimeSpan.FromSeconds(1) });
        var read = async () => await watch.Content.ReadAsStringAsync();
        await read.Should().ThrowAsync<HttpRequestException>("the stream breaks mid-response");
        await restart;

        Emulator.Requests.Entries.Should().NotContain(e => e.StatusCode == 503, "a killed server answers nothing");
    }

    [Test]
    public async Task A_new_watch_during_the_shutdown_gets_503_too()
    {
        var restart = Emulator.RestartAsync(Quick with { ShuttingDownFor = TimeSpan.FromSeconds(2) });
        RawResponse? answer = null;
        while (answer?.Code != HttpStatusCode.ServiceUnavailable && !restart.IsCompleted)
        {
            answer = await Get($"{ClusterPath}?watch=true&timeoutSeconds=1");
        }

        await restart;
        answer!.Code.Should().Be(HttpStatusCode.ServiceUnavailable);
        answer.Message.Should().Be("apiserver is shutting down");
    }

    [Test]
    public async Task After_start_users_outside_system_masters_are_forbidden_reads_and_writes_until_RBAC_loads()
    {
        await CreateClusterAsync(Cluster("a"));
        var token = await RobotTokenAsync();

        await Emulator.RestartAsync(Quick with { AuthorizationNotReadyFor = Long });
        var read = await Get($"{ClusterPath}/a", token);
        var list = await Get("/apis/coordination.k8s.io/v1/namespaces/default/leases", token);
        var write = await RawHttp.SendAsync(Emulator.BaseAddress, HttpMethod.Patch, $"{ClusterPath}/a/status", """{"status":{"ready":true}}""", "application/merge-patch+json", token: token);
        var admin = await Get($"{ClusterPath}/a");

        read.Body.ShouldEqualJson($$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ecsclusters.{{{Group}}} \"a\" is forbidden: User \"{{{ServiceAccountUser}}}\" cannot get resource \"ecsclusters\" in API group \"{{{Group}}}\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"a","group":"{{{Group}}}","kind":"ecsclusters"},"code":403}""");
        list.Message.Should().Be($"leases.coordination.k8s.io is forbidden: User \"{ServiceAccountUser}\" cannot list resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"default\"");
        write.Message.Should().Be($"ecsclusters.{Group} \"a\" is forbidden: User \"{ServiceAccountUser}\" cannot patch resource \"ecsclusters/status\" in API group \"{Group}\" in the namespace \"default\"");
        admin.Code.Should().Be(HttpStatusCode.OK, "system:masters does not wait for RBAC");
        Emulator.Requests.Entries.Where(e => e.StatusCode == 403).Select(e => e.User).Distinct().Should().Equal(ServiceAccountUser);
    }

    [Test]
    public async Task After_start_resource_requests_get_503_until_the_handlers_are_installed()
    {
        await CreateClusterAsync(Cluster("a"));

        await Emulator.RestartAsync(Quick with { HandlersNotInstalledFor = Long });
        var get = await Get($"{ClusterPath}/a");
        var version = await Get("/version");

        get.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request has been made before all known HTTP paths have been installed, please try again","reason":"ServiceUnavailable","details":{"retryAfterSeconds":5},"code":503}""");
        get.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5));
        version.Code.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task After_start_lists_and_watches_get_429_while_the_watch_cache_initializes_and_gets_and_writes_are_served()
    {
        await CreateClusterAsync(Cluster("a"));

        await Emulator.RestartAsync(Quick with { StorageInitializingFor = Long });
        var list = await Get(ClusterPath);
        var watch = await Get($"{ClusterPath}?watch=true&resourceVersion=0");
        var get = await Get($"{ClusterPath}/a");
        var patch = await MergePatchClusterAsync("a", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["x"] = "y" } } });

        list.Body.ShouldEqualJson("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}""");
        list.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        watch.Code.Should().Be(HttpStatusCode.TooManyRequests);
        get.Code.Should().Be(HttpStatusCode.OK);
        patch["metadata"]!["labels"]!["x"]!.GetValue<string>().Should().Be("y");
    }

    [Test]
    public async Task The_windows_after_start_end()
    {
        await CreateClusterAsync(Cluster("a"));
        var token = await RobotTokenAsync();
        var windows = TimeSpan.FromMilliseconds(300);

        await Emulator.RestartAsync(new KubeApiRestartOptions
        {
            ShuttingDownFor = TimeSpan.FromMilliseconds(50),
            RefuseConnectionsFor = TimeSpan.FromMilliseconds(100),
            AuthorizationNotReadyFor = windows,
            HandlersNotInstalledFor = windows,
            StorageInitializingFor = windows,
        });

        await Support.Eventually.UntilAsync(async () =>
            (await Get($"{ClusterPath}/a", token)).Code == HttpStatusCode.OK &&
            (await Get(ClusterPath)).Code == HttpStatusCode.OK &&
            (await Get(ClusterPath, token)).Code == HttpStatusCode.OK, "every request served again");
    }

    [Test]
    public async Task Watch_history_is_lost_a_resumed_watch_gets_410_as_an_ERROR_event_and_a_relist_keeps_every_resourceVersion()
    {
        await CreateClusterAsync(Cluster("a"));
        await CreateClusterAsync(Cluster("b"));
        var before = (await Get(ClusterPath)).Object;
        var listRv = before["metadata"]!["resourceVersion"]!.GetValue<string>();
        await CreateClusterAsync(Cluster("c"));
        var current = Emulator.CurrentResourceVersion;

        await Emulator.RestartAsync(Quick);
        var resumed = await Get($"{ClusterPath}?watch=true&resourceVersion={listRv}");
        var relist = (await Get(ClusterPath)).Object;
        var fromZero = await Get($"{ClusterPath}?watch=true&resourceVersion=0&timeoutSeconds=1");

        resumed.Code.Should().Be(HttpStatusCode.OK, "the watch cache answers an expired resourceVersion in the stream");
        resumed.Body.ShouldEqualJson($$$"""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: {{{listRv}}} ({{{current + 1}}})","reason":"Expired","code":410}}""");
        relist["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be(current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        relist["items"]!.AsArray().Select(i => (i!["metadata"]!["name"]!.GetValue<string>(), i["metadata"]!["resourceVersion"]!.GetValue<string>()))
            .Should().Equal(before["items"]!.AsArray().Select(i => (i!["metadata"]!["name"]!.GetValue<string>(), i["metadata"]!["resourceVersion"]!.GetValue<string>()))
                .Append(("c", current.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        fromZero.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["type"]!.GetValue<string>()).Should().Equal("ADDED", "ADDED", "ADDED");
    }

    [Test]
    public async Task A_watch_from_the_resourceVersion_of_a_list_made_after_the_restart_works()
    {
        await CreateClusterAsync(Cluster("a"));
        await Emulator.RestartAsync(Quick);
        var listRv = (await Get(ClusterPath)).Object["metadata"]!["resourceVersion"]!.GetValue<string>();

        using var watcher = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var watch = await watcher.GetAsync($"{ClusterPath}?watch=true&resourceVersion={listRv}", HttpCompletionOption.ResponseHeadersRead);
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the watch open");
        await CreateClusterAsync(Cluster("b"));
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;

        first["type"]!.GetValue<string>().Should().Be("ADDED");
        first["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be("b");
    }

    [Test]
    public async Task Keeping_the_watch_history_or_restarting_only_the_listener_lets_a_watch_resume()
    {
        await CreateClusterAsync(Cluster("a"));
        var rv = Emulator.CurrentResourceVersion;
        await CreateClusterAsync(Cluster("b"));

        await Emulator.RestartAsync(Quick with { KeepWatchHistory = true });
        var kept = await Get($"{ClusterPath}?watch=true&resourceVersion={rv}&timeoutSeconds=1");
        await Emulator.RestartAsync(TimeSpan.FromMilliseconds(100));
        var legacy = await Get($"{ClusterPath}?watch=true&resourceVersion={rv}&timeoutSeconds=1");

        kept.Body!["type"]!.GetValue<string>().Should().Be("ADDED");
        kept.Body["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be("b");
        legacy.Body!["type"]!.GetValue<string>().Should().Be("ADDED");
    }
}
