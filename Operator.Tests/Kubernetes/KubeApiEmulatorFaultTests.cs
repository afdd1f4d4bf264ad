using k8s.Autorest;

namespace Operator.Tests.Kubernetes;

/// <summary>Fault injection and the request log.</summary>
[TestFixture]
public sealed class KubeApiEmulatorFaultTests : EmulatorTestBase
{
    [Test]
    public async Task Injected_429_carries_Retry_After_for_the_given_number_of_requests()
    {
        await CreateClusterAsync(Cluster("a"));
        var rule = Emulator.Faults.FailRequests(429, pathPrefix: $"/apis/{Group}", verb: "get", times: 2, retryAfterSeconds: 3);
        using var http = new HttpClient { BaseAddress = Emulator.BaseAddress };

        var first = await http.GetAsync($"/apis/{Group}/{Version}/namespaces/default/{Plural}/a");
        var second = await http.GetAsync($"/apis/{Group}/{Version}/namespaces/default/{Plural}/a");
        var third = await http.GetAsync($"/apis/{Group}/{Version}/namespaces/default/{Plural}/a");

        first.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        first.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(3));
        JsonNode.Parse(await first.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>().Should().Be("TooManyRequests");
        second.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        third.StatusCode.Should().Be(HttpStatusCode.OK);
        rule.Hits.Should().Be(2);
    }

    [Test]
    public async Task Injected_5xx_lasts_until_cleared_and_only_for_the_matching_verb()
    {
        await CreateClusterAsync(Cluster("a"));
        Emulator.Faults.FailRequests(503, verb: "patch");

        var (code, status) = await FailureOf(() => MergePatchClusterAsync("a", new JsonObject { ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "b" } } }));
        code.Should().Be(HttpStatusCode.ServiceUnavailable);
        status["reason"]!.GetValue<string>().Should().Be("ServiceUnavailable");
        (await GetClusterAsync("a"))["spec"]!["providerRef"]!["name"]!.GetValue<string>().Should().Be("c1");

        Emulator.Faults.Clear();
        Emulator.Faults.FailRequests(500, verb: "list");
        (await FailureOf(() => Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural))).Code.Should().Be(HttpStatusCode.InternalServerError);
        Emulator.Faults.Clear();

        await MergePatchClusterAsync("a", new JsonObject { ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "b" } } });
    }

    [Test]
    public async Task Pause_holds_requests_until_resume()
    {
        Emulator.Faults.Pause();
        var pending = GetClusterAsync("missing");

        await WaitUntilAsync(() => Emulator.Faults.HeldRequests == 1, "the request is held");
        pending.IsCompleted.Should().BeFalse();
        Emulator.Faults.Resume();

        var (code, _) = await FailureOf(() => pending);
        code.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Latency_delays_every_request()
    {
        Emulator.Faults.Latency = TimeSpan.FromMilliseconds(300);
        var sw = Stopwatch.StartNew();

        await Client.CoreV1.ListNamespaceAsync();

        sw.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290));
    }

    [Test]
    public async Task Request_log_counts_kubernetes_verbs_and_lists_writes()
    {
        await CreateClusterAsync(Cluster("a"));
        await GetClusterAsync("a");
        await MergePatchStatusAsync("a", new JsonObject { ["status"] = new JsonObject { ["ready"] = true } });
        await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural);
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", Plural, "a");
        try
        {
            await GetClusterAsync("a");
        }
        catch (HttpOperationException)
        {
        }

        var log = Emulator.Requests;
        log.Count("create", Plural).Should().Be(1);
        log.Count("get", Plural).Should().Be(2);
        log.Count("patch", Plural, "status").Should().Be(1);
        log.Count("list", Plural).Should().Be(1);
        log.Count("delete", Plural).Should().Be(1);
        log.CountsByVerbAndResource()["patch ecsclusters/status"].Should().Be(1);
        log.Writes.Select(w => w.Verb).Should().Equal("create", "patch", "delete");
        log.Entries.Last().StatusCode.Should().Be(404);
        log.Entries.First(e => e.Verb == "create").Namespace.Should().Be("default");

        log.Reset();
        log.Entries.Should().BeEmpty();
    }

    [Test]
    public async Task Refused_connections_last_for_the_given_time_and_the_server_comes_back_on_the_same_port_with_its_state()
    {
        await CreateClusterAsync(Cluster("kept"));
        var address = Emulator.BaseAddress;
        var restart = Emulator.Faults.RefuseConnectionsAsync(TimeSpan.FromSeconds(1));

        // A fresh client each try: a new TCP connection, refused while the listener is closed.
        HttpRequestException? refused = null;
        while (!restart.IsCompleted && refused is null)
        {
            using var http = new HttpClient { BaseAddress = address };
            try
            {
                await http.GetAsync("/version");
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                refused = e;
            }
        }
        refused.Should().NotBeNull("connections are refused while the server restarts");
        (refused!.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode.Should().Be(System.Net.Sockets.SocketError.ConnectionRefused);
        await restart;

        Emulator.BaseAddress.Should().Be(address);
        (await GetClusterAsync("kept"))["metadata"]!["name"]!.GetValue<string>().Should().Be("kept");
    }

    [Test]
    public async Task A_slow_graceful_stop_keeps_open_watches_streaming_while_new_connections_are_refused()
    {
        using var watcher = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var watch = await watcher.GetAsync($"/apis/{Group}/{Version}/{Plural}?watch=true", HttpCompletionOption.ResponseHeadersRead);
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 1, "the watch open");
        var restart = Emulator.Faults.RefuseConnectionsAsync(TimeSpan.FromSeconds(3), gracefulStop: TimeSpan.FromSeconds(2));

        HttpRequestException? refused = null;
        while (refused is null && !restart.IsCompleted)
        {
            using var fresh = new HttpClient { BaseAddress = Emulator.BaseAddress };
            try
            {
                await fresh.GetAsync("/version");
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                refused = e;
            }
        }
        refused.Should().NotBeNull();
        Emulator.OpenWatchCount.Should().Be(1, "the open watch is drained, not cut, during the graceful stop");
        await restart;
        await WaitUntilAsync(() => Emulator.OpenWatchCount == 0, "the watch cut at the end of the graceful stop");
    }
}
