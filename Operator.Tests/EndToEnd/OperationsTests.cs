using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Deploy;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What an SRE relies on while the operator runs: the metrics and probe endpoints, and RBAC that covers exactly the
/// requests the operator makes (every request it made is allowed by the shipped roles, and every grant is used).
/// /metrics shows this operator alone: its exporter drops the instruments of other hosts' meters of the same names
/// (OperatorHost), so the exact values asserted here hold while other fixtures' operators run. The Lease timings are
/// short (lease 6 s, renew deadline 4 s, retry 1 s) so the Lease this operator creates is usable after 6 s, not 15 s,
/// and a missing provider is reported without the usual grace, so the repeated Event comes at once.
/// </summary>
[TestFixture]
public sealed partial class OperationsTests
{
    private OperatorTestBed _bed = null!;
    private IReadOnlyList<Operator.Testing.Kubernetes.RequestLogEntry> _operatorRequests = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // A short resync so that the drift scanner runs during the test and its series appear.
        _bed = await OperatorTestBed.StartAsync(startOperator: false, resync: TimeSpan.FromSeconds(2),
            settings: new()
            {
                ["LeaderElect"] = "true", ["LeaderElectionNamespace"] = "infra-operator-system",
                ["LeaseDuration"] = "00:00:06", ["RenewDeadline"] = "00:00:04", ["RetryPeriod"] = "00:00:01",
            },
            // No grace before a missing provider is reported: orphan's repeated event comes at once, not 30 s after its creation.
            services: s => s.AddSingleton(new ClusterReconcilerOptions { BlockedRequeue = TimeSpan.FromMilliseconds(300), ProviderGrace = TimeSpan.Zero }));
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.Kube.CreateClusterAsync("default", "observed");
        await _bed.Kube.CreateClusterAsync("default", "kept"); // stays in sync, so the drift scan has something to compare
        await _bed.Kube.CreateClusterAsync("default", "orphan", provider: "missing"); // repeats one event: create, then patch
        // A cluster left tagged by an object that no longer exists, adopted on purpose: the operator asks the API (a GET,
        // not its cache) whether the owner is really gone.
        await _bed.Ecs.CreateClusterAsync(new Operator.Core.Aws.Ecs.Model.CreateClusterRequest
        {
            ClusterName = "inherited",
            Tags = [new Operator.Core.Aws.Ecs.Model.Tag(Operator.Core.Clusters.Ownership.TagKey, "default/gone-owner")],
        });
        await _bed.Kube.CreateClusterAsync("default", "heir", clusterName: "inherited", spec: s => s.AdoptExisting = true);
        _bed.Kube.Emulator.Requests.Reset(); // from here on, every request but the test's own deletes is the operator's

        await _bed.StartOperatorAsync();
        await _bed.WaitReadyAsync("default", "observed");
        await _bed.WaitReadyAsync("default", "heir");
        await Eventually.UntilAsync(async () => (await _bed.Client.CoreV1.ListNamespacedEventAsync("default",
            fieldSelector: "involvedObject.name=orphan")).Items.Any(e => e.Count > 1), "a repeated event folded into one");
        await _bed.Kube.DeleteClusterAsync("default", "observed");
        await _bed.WaitGoneAsync("default", "observed");
        // The Lease is created on acquire and patched by each renewal, one retry period later.
        await Eventually.UntilAsync(() => _bed.Kube.Emulator.Requests.Count("patch", "leases") > 0, "a Lease renewal");
        // The test's own requests: its deletes, its GETs of the ECSClusters it waits on and its event lists. The operator
        // never deletes an object, reads through list/watch, and GETs only the former owner named by a tag.
        string[] watched = ["observed", "heir"];
        _operatorRequests = [.. _bed.Kube.Emulator.Requests.Entries.Where(e => !(e.Verb == "delete"
            || (e.Resource == "ecsclusters" && e.Verb == "get" && watched.Contains(e.Name))
            || (e.Resource == "events" && e.Verb == "list" && e.Query.Contains("involvedObject.name=", StringComparison.Ordinal))))];
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_request_the_operator_made_is_allowed_by_the_shipped_rbac()
    {
        var rbac = await RbacRules.LoadAsync();
        _operatorRequests.Should().NotBeEmpty();
        rbac.Denied(_operatorRequests).Select(RbacRules.Describe).Should().BeEmpty();
    }

    [Test]
    public async Task Every_grant_of_the_shipped_rbac_is_used_by_the_operator()
    {
        var rbac = await RbacRules.LoadAsync();
        var used = _operatorRequests.Where(e => e.Resource.Length > 0)
            .Select(e => (e.Group, Resource: e.Subresource.Length == 0 ? e.Resource : $"{e.Resource}/{e.Subresource}", e.Verb))
            .ToHashSet();
        var granted = rbac.Triples().Concat(rbac.Triples("infra-operator-system")).ToHashSet();
        granted.Except(used).Should().BeEmpty("a grant the operator never uses widens its privileges for nothing");
    }

    [Test]
    public async Task Probes_answer_and_metrics_carry_the_controller_runtime_series()
    {
        using var http = new HttpClient { BaseAddress = _bed.OperatorAddress };
        (await http.GetAsync("/healthz")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        (await http.GetAsync("/readyz")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);

        string text = "";
        await Eventually.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return Value(text, "controller_runtime_reconcile_total", "controller=\"ecscluster\"", "result=\"success\"") > 0;
        }, "reconcile metrics");

        Value(text, "controller_runtime_reconcile_total", "controller=\"awsprovider\"", "result=\"success\"").Should().BeGreaterThan(0);
        Value(text, "controller_runtime_reconcile_time_seconds_count", "controller=\"ecscluster\"").Should().BeGreaterThan(0);
        Value(text, "controller_runtime_reconcile_time_seconds_bucket", "controller=\"ecscluster\"", "le=\"+Inf\"").Should().BeGreaterThan(0);
        Value(text, "controller_runtime_max_concurrent_reconciles", "controller=\"ecscluster\"").Should().Be(4);
        Value(text, "controller_runtime_active_workers", "controller=\"ecscluster\"").Should().BeGreaterThanOrEqualTo(0);
        Value(text, "workqueue_adds_total", "name=\"ecscluster\"").Should().BeGreaterThan(0);
        Value(text, "workqueue_depth", "name=\"ecscluster\"").Should().BeGreaterThanOrEqualTo(0);
        Value(text, "workqueue_queue_duration_seconds_count", "name=\"ecscluster\"").Should().BeGreaterThan(0);
        Value(text, "workqueue_work_duration_seconds_count", "name=\"ecscluster\"").Should().BeGreaterThan(0);
        Value(text, "workqueue_retries_total", "name=\"ecscluster\"").Should().BeGreaterThanOrEqualTo(0);
        text.Should().Contain("workqueue_unfinished_work_seconds").And.Contain("workqueue_longest_running_processor_seconds");
        Value(text, "aws_api_requests_total", "operation=\"CreateCluster\"").Should().BeGreaterThan(0);
        await Eventually.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            // The series exists at 0 from the start: wait for a scan (every resync period) to have counted.
            return text.Contains("ecscluster_drift_scanned_total", StringComparison.Ordinal) && Value(text, "ecscluster_drift_scanned_total") > 0;
        }, "the drift scanner's metrics");
        Value(text, "ecscluster_drift_scanned_total").Should().BeGreaterThan(0);
        text.Should().Contain("aws_api_request_duration_seconds_bucket");
    }

    [Test]
    public async Task Metrics_show_this_operator_alone_and_not_another_host_in_the_same_process()
    {
        // What another operator host in this process registers: the same meter and instrument names, its own factory.
        using var elsewhere = new Operator.Tests.Aws.TestMeterFactory();
        var other = new Operator.Core.Controllers.ControllerMetrics(elsewhere);
        Interlocked.Exchange(ref other.For("ecscluster").MaxConcurrent, 8);
        other.ReconcileErrors.Add(1000, new KeyValuePair<string, object?>("controller", "ecscluster"));

        using var http = new HttpClient { BaseAddress = _bed.OperatorAddress };
        var text = await http.GetStringAsync("/metrics");
        Value(text, "controller_runtime_max_concurrent_reconciles", "controller=\"ecscluster\"").Should().Be(4, "this operator's 4 workers, not 4 + 8");
        Sample().Matches(text).Where(m => m.Groups["name"].Value == "controller_runtime_reconcile_errors_total")
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)).Should().BeLessThan(1000, "the other host's errors are not this one's");
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string exposition, string name, params string[] labels)
    {
        var matches = Sample().Matches(exposition).Where(m => m.Groups["name"].Value == name
            && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal))).ToList();
        if (matches.Count == 0)
        {
            Assert.Fail($"no sample of {name} with {string.Join(",", labels)} in:\n{string.Join('\n', exposition.Split('\n').Where(l => l.StartsWith(name.Split('_')[0], StringComparison.Ordinal)).Take(40))}");
        }
        return matches.Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
