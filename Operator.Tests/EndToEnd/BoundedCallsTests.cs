using Operator.Core.Bulkheads;
using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Aws;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// One bad endpoint must not cost other providers anything, and must not leave its own objects without status:
/// AWS calls are bounded in time (per attempt, per call), ECSCluster reconciles are capped per provider, and what a
/// foreign endpoint answers reaches status and Events only sanitised and bounded. The bad endpoint is a
/// <see cref="FakeAwsEndpoint"/>; the healthy provider talks to the AWS emulator. Nothing asserts on wall-clock time:
/// the bounds are shown by counts (requests open at once, calls made, requeues refused). A Kubernetes error reading a
/// provider's Secret becomes a condition and an Event once it has lasted, and is retried until the provider is Ready;
/// that test shortens the quiet period for API server failures and caps the retry back-off, so it waits seconds.
/// </summary>
[TestFixture]
public sealed class BoundedCallsTests
{
    private const int Workers = 4;

    // Short limits so a hung call ends within the test; big buckets so token waits never count against them.
    private static Dictionary<string, string?> ShortLimits => new()
    {
        ["Workers"] = Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AwsAttemptTimeout"] = "00:00:00.400",
        ["AwsCallTimeout"] = "00:00:01.200",
        ["AwsReadBurst"] = "1000", ["AwsReadQps"] = "1000",
        ["AwsWriteBurst"] = "1000", ["AwsWriteQps"] = "1000",
    };

    [Test]
    public async Task A_hanging_endpoint_holds_at_most_its_share_of_the_workers_while_another_providers_clusters_become_ready()
    {
        await using var hung = await FakeAwsEndpoint.StartAsync();
        // A refused reconcile comes back after the busy requeue; at the product's 2 s, the clusters that lost the race
        // for the hung provider's share wait many periods for their first turn, and the test would mostly wait on that.
        // The hung clusters' lookups reach the endpoint one at a time, so each of the six waits out its own timeout:
        // one attempt (no retries) bounds it at 0.4 s instead of three at 1.2 s. A healthy call is not retried either,
        // so a slow CreateCluster cannot be sent twice.
        var limits = ShortLimits;
        limits["AwsMaxRetries"] = "0";
        await using var bed = await OperatorTestBed.StartAsync(settings: limits,
            services: s => s.AddSingleton(new ClusterReconcilerOptions { BusyRequeue = TimeSpan.FromMilliseconds(200) }));
        using var metrics = new AwsMetricsRecorder(bed.App!.Services.GetRequiredService<IMeterFactory>());
        await bed.CreateStaticProviderAsync("default", "hung", spec: s => s["endpoint"] = hung.Endpoint.ToString());
        await bed.CreateStaticProviderAsync("default", "healthy");
        await bed.WaitProviderReadyAsync("default", "hung");
        await bed.WaitProviderReadyAsync("default", "healthy");

        // The hung provider's clusters go first, so without a cap they would take every worker.
        var hungClusters = Enumerable.Range(0, 6).Select(i => $"hung-{i}").ToList();
        foreach (var name in hungClusters)
        {
            await bed.Kube.CreateClusterAsync("default", name, provider: "hung");
        }
        await Eventually.UntilAsync(() => hung.EcsRequests > 0, "the hung endpoint receives ECS calls");
        var healthyClusters = Enumerable.Range(0, 20).Select(i => $"healthy-{i}").ToList();
        foreach (var name in healthyClusters)
        {
            await bed.Kube.CreateClusterAsync("default", name, provider: "healthy");
        }

        foreach (var name in healthyClusters)
        {
            await bed.WaitReadyAsync("default", name);
        }
        foreach (var name in hungClusters)
        {
            var obj = await bed.WaitForClusterAsync("default", name, c => Condition(c, ClusterConditions.Synced) is { Status: "False", Reason: "Timeout" },
                "Synced=False with reason Timeout");
            Condition(obj, ClusterConditions.Ready).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "Timeout");
            Condition(obj, ClusterConditions.Synced)!.Message.Should().Contain("ecs DescribeClusters did not answer in time");
        }

        var share = ProviderBulkhead.DefaultCapacity(Workers);
        hung.EcsMaxOpen.Should().BeInRange(1, share, "the hung provider may hold at most its share of the workers");
        metrics.Sum(ProviderBulkhead.BusyMetric, ("provider", "default/hung")).Should().BeGreaterThan(0, "its other reconciles were requeued, not queued on a worker");
        // What a normal creation costs: one CreateCluster each, and no failed call.
        var healthyCalls = bed.Aws.Calls.Snapshot().Where(c => c.AccessKeyId == "test" && c.Service == "ecs").ToList();
        healthyCalls.Count(c => c.Operation == "CreateCluster").Should().Be(healthyClusters.Count);
        healthyCalls.Where(c => c.ErrorCode is not null).Should().BeEmpty();
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(healthyClusters.Count);
        await WaitEventAsync(bed, "hung-0", e => e.Reason == "Timeout" && e.Type == "Warning");
    }

    [Test]
    public async Task A_provider_whose_STS_endpoint_never_answers_gets_Ready_False_and_an_event()
    {
        await using var hung = await FakeAwsEndpoint.StartAsync();
        hung.Sts = FakeAwsEndpoint.Reply.Hang;
        await using var bed = await OperatorTestBed.StartAsync(settings: ShortLimits);
        await bed.CreateStaticProviderAsync("default", "silent", spec: s => s["endpoint"] = hung.Endpoint.ToString());

        var ready = await WaitProviderConditionAsync(bed, "silent", c => c.Status == "False" && c.Reason == "EndpointUnreachable");

        ready.Message.Should().Contain("GetCallerIdentity").And.Contain("timed out");
        await WaitEventAsync(bed, "silent", e => e.Reason == "EndpointUnreachable" && e.Type == "Warning");
    }

    [TestCase("html")]
    [TestCase("xml")]
    public async Task An_oversized_STS_error_reaches_status_and_events_bounded_and_sanitised(string kind)
    {
        await using var bad = await FakeAwsEndpoint.StartAsync();
        bad.Sts = kind == "html"
            ? new FakeAwsEndpoint.Reply(404, "text/html", HtmlBody())
            : new FakeAwsEndpoint.Reply(400, "text/xml",
                $"<ErrorResponse><Error><Type>Sender</Type><Code>SomethingNew</Code><Message>{ForeignMessage()}</Message></Error></ErrorResponse>");
        await using var bed = await OperatorTestBed.StartAsync(settings: ShortLimits);
        await bed.CreateStaticProviderAsync("default", "noisy", spec: s => s["endpoint"] = bad.Endpoint.ToString());

        var ready = await WaitProviderConditionAsync(bed, "noisy", c => c.Status == "False");

        AssertBoundedAndClean(ready.Message);
        var events = await WaitEventAsync(bed, "noisy", e => e.Type == "Warning" && e.Reason == ready.Reason);
        events.ForEach(e => AssertBoundedAndClean(e.Message));
        bed.Logs.All.Should().NotContain("<script").And.NotContain(Filler);
    }

    [TestCase("json")]
    [TestCase("html")]
    public async Task An_oversized_ECS_error_reaches_status_and_events_bounded_and_sanitised(string kind)
    {
        await using var bad = await FakeAwsEndpoint.StartAsync();
        bad.Ecs = kind == "json"
            ? new FakeAwsEndpoint.Reply(400, "application/x-amz-json-1.1",
                new JsonObject { ["__type"] = "InvalidParameterException", ["message"] = ForeignMessage() }.ToJsonString())
            : new FakeAwsEndpoint.Reply(403, "text/html", HtmlBody());
        await using var bed = await OperatorTestBed.StartAsync(settings: ShortLimits);
        await bed.CreateStaticProviderAsync("default", "noisy", spec: s => s["endpoint"] = bad.Endpoint.ToString());
        await bed.WaitProviderReadyAsync("default", "noisy");
        await bed.Kube.CreateClusterAsync("default", "noisy-cluster", provider: "noisy");

        // A first pass may still find the provider not validated in the operator's cache (ProviderNotReady, until the
        // provider's status reaches it): the ECS error's condition is the one after it.
        var obj = await bed.WaitForClusterAsync("default", "noisy-cluster",
            c => Condition(c, ClusterConditions.Synced) is { Status: "False" } s && s.Reason != ClusterConditions.Reasons.ProviderNotReady,
            "Synced=False from the ECS error");

        var synced = Condition(obj, ClusterConditions.Synced)!;
        synced.Reason.Should().Be(kind == "json" ? "InvalidParameter" : "AwsError");
        AssertBoundedAndClean(synced.Message);
        var events = await WaitEventAsync(bed, "noisy-cluster", e => e.Type == "Warning" && e.Reason == synced.Reason);
        events.ForEach(e => AssertBoundedAndClean(e.Message));
        bed.Logs.All.Should().NotContain("<script").And.NotContain(Filler);
    }

    [Test]
    public async Task A_Kubernetes_error_while_reading_a_secret_gets_a_condition_and_is_retried()
    {
        // The product waits 30 s before it reports an API server failure, and its retries back off towards 1,000 s
        // meanwhile; here the failure is reported after a second, and retried at least every half second.
        await using var bed = await OperatorTestBed.StartAsync(services: s =>
            OperatorTestBed.ShortApiServerHiccups(s, grace: TimeSpan.FromSeconds(1), maxRetryDelay: TimeSpan.FromMilliseconds(500)));
        var fault = bed.Kube.Emulator.Faults.FailRequests(500, "/api/v1/namespaces/default/secrets/flaky-credentials", "get");
        await bed.CreateStaticProviderAsync("default", "flaky");

        var ready = await WaitProviderConditionAsync(bed, "flaky", c => c.Status == "False" && c.Reason == ReconcileFailure.KubernetesApiError);
        ready.Message.Should().Contain("500");
        await WaitEventAsync(bed, "flaky", e => e.Reason == ReconcileFailure.KubernetesApiError);

        bed.Kube.Emulator.Faults.Clear();
        await bed.WaitProviderReadyAsync("default", "flaky");
        _ = fault;
    }

    private const string Filler = "lorem-ipsum-dolor";

    // 100 KB of text with newlines, tabs, an escape sequence and markup a browser would run.
    private static string ForeignMessage()
    {
        var sb = new StringBuilder("first line\r\n\tsecond\u001b[31m line <script>alert(1)</script> ");
        while (sb.Length < 100_000)
        {
            sb.Append(Filler).Append('\n');
        }
        return sb.ToString();
    }

    private static string HtmlBody() =>
        "<!DOCTYPE html><html><head><title>404 Not Found</title><script>steal()</script></head><body>" + ForeignMessage() + "</body></html>";

    private static void AssertBoundedAndClean(string message)
    {
        message.Length.Should().BeLessThanOrEqualTo(EventRecorder.MaxMessageLength);
        message.Should().NotContain("<script").And.NotContain("<html").And.NotContain("<!DOCTYPE");
        message.Should().NotContainAny("\n", "\r", "\t", "\u001b");
        message.Split(Filler).Length.Should().BeLessThan(60, "at most a bounded excerpt of the foreign text is kept");
    }

    private static V1Condition? Condition(ECSCluster c, string type) => c.Status?.Conditions?.FirstOrDefault(x => x.Type == type);

    private static async Task<V1Condition> WaitProviderConditionAsync(OperatorTestBed bed, string name, Func<V1Condition, bool> match)
    {
        V1Condition? found = null;
        await Eventually.UntilAsync(async () =>
            (found = (await bed.GetProviderAsync("default", name))?.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && match(c))) is not null,
            $"provider {name}: a matching Ready condition", TimeSpan.FromSeconds(60));
        return found!;
    }

    /// <summary>Events are sent asynchronously by the recorder's queue: waits until one matches, returns them all.</summary>
    private static async Task<List<Corev1Event>> WaitEventAsync(OperatorTestBed bed, string name, Func<Corev1Event, bool> match)
    {
        List<Corev1Event> events = [];
        await Eventually.UntilAsync(async () => (events = await EventsAsync(bed, name)).Any(match), $"a matching event of {name}");
        return events;
    }

    private static async Task<List<Corev1Event>> EventsAsync(OperatorTestBed bed, string name) =>
        [.. (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.name={name}")).Items];
}
