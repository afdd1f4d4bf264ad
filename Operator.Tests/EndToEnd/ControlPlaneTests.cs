using Operator.Core.Runtime;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The whole operator host under control-plane failures: a denied informer keeps every controller from reconciling
/// (and says so in /readyz, a log and a metric); any one of its real runnables dying stops the process with exit code 1
/// and fails /healthz; the series dashboards alert on exist at 0 from the start.
/// Runs alone: the dying-runnable tests assert Environment.ExitCode, which is process-wide (a failing host in a test
/// running meanwhile would set it, one earlier may have left it set).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class ControlPlaneTests
{
    [SetUp]
    [TearDown]
    public void RestoreExitCode() => Environment.ExitCode = 0;

    [Test]
    public async Task A_denied_Secret_informer_keeps_every_controller_from_reconciling_and_readyz_names_it()
    {
        await using var bed = await OperatorTestBed.StartAsync(startOperator: false);
        var denied = bed.Kube.Emulator.Faults.FailRequests(403, "/api/v1/secrets", "list");
        await bed.StartOperatorAsync();
        using var http = new HttpClient { BaseAddress = bed.OperatorAddress };
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "half-blind");

        string readiness = "";
        await Eventually.UntilAsync(async () =>
        {
            using var response = await http.GetAsync("/readyz");
            readiness = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.ServiceUnavailable && readiness.Contains("403", StringComparison.Ordinal);
        }, "/readyz naming the denied informer");
        readiness.Should().Contain("informer/secrets").And.NotContain("informer/awsproviders").And.NotContain("informer/ecsclusters");
        bed.Logs.All.Should().Contain("Cannot list secrets").And.Contain("RBAC");

        // Both objects have reached their controllers' queues: a worker, had one been started, would take them now.
        string metrics = "";
        await Eventually.UntilAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return Value(metrics, "workqueue_depth", "name=\"awsprovider\"") >= 1 && Value(metrics, "workqueue_depth", "name=\"ecscluster\"") >= 1;
        }, "both keys queued");
        Value(metrics, "informer_synced", "resource=\"secrets\"").Should().Be(0);
        Value(metrics, "informer_synced", "resource=\"awsproviders\"").Should().Be(1);
        Value(metrics, "informer_list_denied_total", "resource=\"secrets\"", "code=\"403\"").Should().BeGreaterThan(0);
        // The series exist at 0 from start-up (alerts divide by them); none may move.
        Sample().Matches(metrics).Where(m => m.Groups["name"].Value == "controller_runtime_reconcile_total").Should().HaveCount(6)
            .And.OnlyContain(m => m.Groups["value"].Value == "0", "no reconcile may run while an informer it reads is blind");
        bed.Aws.Calls.Snapshot().Should().BeEmpty();
        (await bed.GetProviderAsync("default", "p"))!.Status.Should().BeNull();
        denied.Hits.Should().BeGreaterThan(0);
        // The line lists every informer not yet synced when it is written: on a busy machine, the others too.
        bed.Logs.All.Should().MatchRegex(@"Waiting for [^\n]*informer/secrets[^\n]* to sync");

        var cleared = DateTimeOffset.UtcNow;
        bed.Kube.Emulator.Faults.Clear();
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.WaitReadyAsync("default", "half-blind");
        (await http.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.OK);
        bed.Kube.Emulator.Requests.Writes.Where(w => w.Verb == "patch" && w.Resource is "awsproviders" or "ecsclusters")
            .Should().OnlyContain(w => w.Time >= cleared, "every write of a reconcile came after the last informer synced");
        bed.Logs.All.Should().Contain("Every informer has synced");
    }

    [TestCase("ecscluster")]
    [TestCase("awsprovider")]
    [TestCase("drift-scanner/ecsclusters")]
    [TestCase("informer/secrets")]
    public async Task Any_dying_runnable_stops_the_process_with_exit_code_1_and_fails_healthz(string victim)
    {
        var kills = new Dictionary<string, Killable>();
        await using var bed = await OperatorTestBed.StartAsync(services: s => WrapRunnables(s, kills));
        using var http = new HttpClient { BaseAddress = bed.OperatorAddress };
        await Eventually.UntilAsync(() => kills.Count == 6 && kills.Values.All(k => k.Running), "every runnable running");
        (await http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);

        kills[victim].Kill();
        // The test bed starts the host without RunAsync, so the web server keeps answering after the stop request.
        await Eventually.UntilAsync(() => bed.App!.Lifetime.ApplicationStopping.IsCancellationRequested, "the host asked to stop");
        Environment.ExitCode.Should().Be(1);
        using (var health = await http.GetAsync("/healthz"))
        {
            health.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            (await health.Content.ReadAsStringAsync()).Should().Contain(victim);
        }
        bed.Logs.Lines.Should().Contain(l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains(victim, StringComparison.Ordinal));
    }

    [Test]
    public async Task A_status_write_that_finds_the_object_deleted_ends_the_pass_without_a_report_or_a_retry()
    {
        await using var bed = await OperatorTestBed.StartAsync(settings: new() { ["Logging:LogLevel:Default"] = "Debug" });
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "raced");
        await bed.WaitReadyAsync("default", "raced");
        // The next pass's status write meets the real server's 404 naming the object, as when the object was deleted
        // by an earlier pass whose delete event had not reached the cache.
        var gone = bed.Kube.Emulator.Faults.FailRequests(404, $"/apis/{Core.Api.V1Alpha1.ApiGroup.Group}/{Core.Api.V1Alpha1.ApiGroup.Version}/namespaces/default/ecsclusters/raced/status", "patch");
        await bed.Kube.PatchClusterAsync("default", "raced", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["x"] = "y" } } });
        await Eventually.UntilAsync(() => bed.Logs.Lines.Any(l => l.Contains("deleted while it was reconciled", StringComparison.Ordinal)),
            "the pass ends as one whose object is gone", TimeSpan.FromSeconds(60));

        gone.Hits.Should().Be(1, "no failure status written after it, and no retry");
        bed.Logs.Lines.Should().NotContain(l => l.Contains("Reconcile failed", StringComparison.Ordinal));
        var events = await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=raced");
        events.Items.Should().NotContain(e => e.Type == "Warning", "nothing to report on an object that is gone");
    }

    [Test]
    public async Task Every_write_the_operator_makes_names_its_field_manager()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "managed");
        await bed.WaitReadyAsync("default", "managed");

        var writes = bed.Kube.Emulator.Requests.Entries
            .Where(e => e.Verb == "patch" && e.Resource is "ecsclusters" or "awsproviders").ToList();
        writes.Should().Contain(e => e.Subresource == "status").And.Contain(e => e.Subresource.Length == 0, "the finalizer patch");
        writes.Should().OnlyContain(e => e.Query.Contains($"fieldManager={Core.Kubernetes.OperatorIdentity.FieldManager}", StringComparison.Ordinal),
            "managedFields and audit logs must show the operator, not the client library");
    }

    [TestCase("127.0.0.1")]
    [TestCase("0.0.0.0")]
    public async Task The_metrics_and_probe_listeners_bind_the_configured_address(string address)
    {
        await using var bed = await OperatorTestBed.StartAsync(settings: new() { ["BindAddress"] = address });
        var bound = bed.App!.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        bound.Should().HaveCount(2).And.OnlyContain(a => a.StartsWith($"http://{address}:", StringComparison.Ordinal));
        new Hosting.OperatorOptions().BindAddress.Should().Be("0.0.0.0", "the Deployment's default serves the kubelet's probes");
    }

    [Test]
    public async Task Informer_and_throttle_series_exist_at_zero_from_the_start()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        using var http = new HttpClient { BaseAddress = bed.OperatorAddress };
        var text = await http.GetStringAsync("/metrics");
        foreach (var resource in new[] { "awsproviders", "ecsclusters", "secrets" })
        {
            Value(text, "informer_relists_total", $"resource=\"{resource}\"").Should().Be(0);
            Value(text, "informer_watch_failures_total", $"resource=\"{resource}\"").Should().Be(0);
        }
        Value(text, "aws_api_throttles_total", "service=\"ecs\"", "operation=\"DescribeClusters\"").Should().Be(0);
        Value(text, "aws_api_throttles_total", "service=\"sts\"", "operation=\"GetCallerIdentity\"").Should().Be(0);
        Value(text, "ecscluster_drift_scanned_total").Should().Be(0);
        Value(text, "ecscluster_drift_detected_total").Should().Be(0);
        foreach (var step in new[] { "credentials", "describe", "status" })
        {
            Value(text, "ecscluster_drift_scan_errors_total", $"step=\"{step}\"").Should().Be(0);
        }
        foreach (var reason in new[] { "queue_full", "expired", "rejected" })
        {
            Value(text, "operator_events_dropped_total", $"reason=\"{reason}\"").Should().Be(0);
        }
    }

    [Test]
    public async Task STS_calls_are_counted_in_aws_api_requests_total()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        using var http = new HttpClient { BaseAddress = bed.OperatorAddress };
        // The exporter caches a scrape for a moment: poll until the series shows.
        await Eventually.UntilAsync(async () => (await http.GetStringAsync("/metrics")).Split('\n').Any(l =>
                l.StartsWith("aws_api_requests_total{", StringComparison.Ordinal) && l.Contains("service=\"sts\"", StringComparison.Ordinal)
                && l.Contains("operation=\"GetCallerIdentity\"", StringComparison.Ordinal) && l.Contains("outcome=\"success\"", StringComparison.Ordinal)
                && !l.EndsWith(" 0", StringComparison.Ordinal)),
            "an STS series in aws_api_requests_total");
    }

    /// <summary>Replaces every registered runnable with a wrapper the test can kill (the real runnable keeps running inside).</summary>
    private static void WrapRunnables(IServiceCollection services, Dictionary<string, Killable> kills)
    {
        foreach (var d in services.Where(d => d.ServiceType == typeof(IRunnable) || d.ServiceType == typeof(ISyncingRunnable)).ToList())
        {
            services.Remove(d);
            var factory = d.ImplementationFactory!;
            services.Add(ServiceDescriptor.Singleton(d.ServiceType, sp =>
            {
                var inner = (IRunnable)factory(sp);
                Killable wrapper = inner is ISyncingRunnable informer ? new KillableInformer(informer) : new Killable(inner);
                lock (kills)
                {
                    kills[inner.Name] = wrapper;
                }
                return wrapper;
            }));
        }
    }

    private class Killable(IRunnable inner) : IDrainingRunnable
    {
        private readonly TaskCompletionSource _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => inner.Name;
        public bool Running { get; private set; }

        public void Kill() => _killed.TrySetResult();

        public Task RunAsync(CancellationToken ct) => RunAsync(ct, CancellationToken.None);

        public async Task RunAsync(CancellationToken stop, CancellationToken abort)
        {
            using var cut = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var run = inner is IDrainingRunnable d ? d.RunAsync(cut.Token, abort) : inner.RunAsync(cut.Token);
            Running = true;
            if (await Task.WhenAny(run, _killed.Task) == run)
            {
                await run;
                return;
            }
            await cut.CancelAsync();
            throw new InvalidOperationException("killed by the test");
        }
    }

    private sealed class KillableInformer(ISyncingRunnable inner) : Killable(inner), ISyncingRunnable
    {
        public bool HasSynced => inner.HasSynced;
        public string? SyncError => inner.SyncError;
    }

    private static double Value(string exposition, string name, params string[] labels)
    {
        var matches = Sample().Matches(exposition).Where(m => m.Groups["name"].Value == name
            && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal))).ToList();
        if (matches.Count == 0)
        {
            Assert.Fail($"no sample of {name} with {string.Join(",", labels)}");
        }
        return matches.Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
