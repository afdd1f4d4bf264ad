using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Monitoring;

/// <summary>
/// Debian's Prometheus scrapes the operator of the in-process stack (job infra-operator, every second) and evaluates the
/// shipped rule file, while a scenario makes each rule's situation happen: another replica holds the Lease at first (no
/// leader), then a cluster is created, an AWS call is throttled, a provider's reconcile slots are all held (keys
/// parked), a provider has bad credentials, a cluster keeps failing (reconcile errors), the API server refuses Events
/// and the Secret watch, and a drift cannot be repaired; last the operator stops (target down, absent). Each rule's
/// expression is asked of Prometheus's HTTP API and must return the expected series; every selector of every rule must
/// match series the operator really exposes. Also: every query of the Grafana dashboard names only metrics a live
/// scrape exposes and returns series, and <c>promtool check metrics</c> finds nothing to say about a live scrape.
/// What Prometheus scrapes is this host's alone: its exporter drops the instruments of other hosts' meters of the same
/// names (OperatorHost), so other fixtures' operators may run meanwhile.
/// </summary>
[TestFixture]
public sealed class RealPrometheusTests
{
    private const string Lease = "infra-operator-leader";
    private const string LeaseNamespace = "infra-operator-system";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private OperatorTestBed _bed = null!;
    private PrometheusServer _prometheus = null!;
    private readonly CancellationTokenSource _otherLeader = new();
    private Task _otherLeaderRenewals = Task.CompletedTask;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        PrometheusServer.Require("prometheus");
        _bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2), startOperator: false, settings: new()
        {
            ["LeaderElect"] = "true",
            ["LeaderElectionNamespace"] = LeaseNamespace,
            ["LeaseDuration"] = "00:00:04",
            ["RenewDeadline"] = "00:00:03",
            ["RetryPeriod"] = "00:00:01",
            ["MaxReconcilesPerProvider"] = "1",
        });
        // Another replica holds the Lease (and renews it) until the test lets it go.
        await _bed.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = Lease, NamespaceProperty = LeaseNamespace },
            Spec = new V1LeaseSpec { HolderIdentity = "another-replica", LeaseDurationSeconds = 3, AcquireTime = DateTime.UtcNow, RenewTime = DateTime.UtcNow },
        }, LeaseNamespace);
        _otherLeaderRenewals = RenewOtherLeaderAsync(_otherLeader.Token);
        await _bed.StartOperatorAsync();
        _prometheus = await PrometheusServer.StartAsync(_bed.OperatorAddress.Authority, [MonitoringRules.RuleFile]);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _otherLeader.CancelAsync();
        await _otherLeaderRenewals;
        _otherLeader.Dispose();
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }
        if (_bed is not null)
        {
            await _bed.DisposeAsync();
        }
    }

    private async Task RenewOtherLeaderAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var lease = await _bed.Client.CoordinationV1.ReadNamespacedLeaseAsync(Lease, LeaseNamespace, cancellationToken: ct);
                if (lease.Spec.HolderIdentity != "another-replica")
                {
                    return;
                }
                lease.Spec.RenewTime = DateTime.UtcNow;
                lease.Metadata.ManagedFields = null; // the server's own; the client's generated JSON cannot write them back
                await _bed.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, Lease, LeaseNamespace, cancellationToken: ct);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // A conflict with the operator's own attempt: read again.
            }
        }
    }

    private static string Expr(string alert) => MonitoringRules.Alerts().Single(a => a["alert"]!.GetValue<string>() == alert)["expr"]!.GetValue<string>();

    private Task<List<Dictionary<string, string>>> ExpectAsync(string alert, Func<List<Dictionary<string, string>>, bool> match, string what) =>
        _prometheus.WaitForAsync(Expr(alert), match, $"{alert}: {what}", Timeout);

    private static Func<List<Dictionary<string, string>>, bool> Has(string label, string value) =>
        series => series.Any(s => s.GetValueOrDefault(label) == value);

    private static bool Empty(List<Dictionary<string, string>> series) => series.Count == 0;

    [Test, Order(1)]
    public async Task Every_rule_expression_returns_the_expected_series_from_the_real_operator()
    {
        var checkedAlerts = new HashSet<string>(StringComparer.Ordinal);
        async Task Check(string alert, Func<List<Dictionary<string, string>>, bool> match, string what)
        {
            await ExpectAsync(alert, match, what);
            checkedAlerts.Add(alert);
        }

        await _prometheus.WaitForAsync("up{job=\"infra-operator\"} == 1", s => s.Count == 1, "the operator scraped", Timeout);
        await Check("InfraOperatorNoLeader", Has("name", Lease), "another replica holds the Lease, this one stands by");
        await _otherLeader.CancelAsync();
        await _prometheus.WaitForAsync("leader_election_master_status{job=\"infra-operator\"} == 1", s => s.Count == 1, "this replica leads", Timeout);
        await ExpectAsync("InfraOperatorNoLeader", Empty, "a replica leads");

        // A create, and a throttled call (retried until it succeeds).
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.Kube.CreateClusterAsync("default", "created");
        await _bed.WaitReadyAsync("default", "created");
        _bed.Aws.Faults.FailNext("DescribeClusters", 3, "ThrottlingException", 400, "Rate exceeded");
        await _bed.Kube.CreateClusterAsync("default", "throttled");
        await _bed.WaitReadyAsync("default", "throttled");
        await Check("InfraOperatorAwsThrottling", Has("operation", "DescribeClusters"), "DescribeClusters was throttled");
        (await _prometheus.QueryAsync("operation:aws_api_throttles:ratio_rate10m")).Should().Contain(s => s["operation"] == "DescribeClusters");

        // A provider whose one reconcile slot is held: its second cluster parks.
        await _bed.CreateStaticProviderAsync("default", "slow");
        await _bed.WaitProviderReadyAsync("default", "slow");
        var held = _bed.Aws.Faults.HoldNext("CreateCluster");
        await _bed.Kube.CreateClusterAsync("default", "slow-1", provider: "slow");
        await held.Reached.WaitAsync(Timeout);
        await _bed.Kube.CreateClusterAsync("default", "slow-2", provider: "slow");
        await Check("InfraOperatorProviderBacklog", Has("provider", "default/slow"), "slow-2 waits for slow's only slot");
        held.Release();
        await _bed.WaitReadyAsync("default", "slow-1");
        await _bed.WaitReadyAsync("default", "slow-2");

        // A provider with keys STS does not know.
        await _bed.CreateStaticProviderAsync("default", "bad", accessKey: "AKIAUNKNOWN", secretKey: "wrong");
        await Check("InfraOperatorProviderCredentialsFailing", s => s.Count == 1 && s[0]["__value__"] == "1", "one provider does not authenticate");

        // A cluster that keeps failing (its capacity provider does not exist), while Events are refused.
        _bed.Stack.Kube.Faults.FailRequests(403, "/api/v1/namespaces/default/events", times: 2);
        await _bed.Kube.CreateClusterAsync("default", "broken", spec: s => s.CapacityProviders = ["missing-capacity-provider"]);
        await Check("InfraOperatorReconcileErrors", Has("controller", "ecscluster"), "broken's reconciles fail");
        await Check("InfraOperatorEventsDropped", Has("reason", "rejected"), "the API server refused Events");

        // The Secret watch fails again and again.
        _bed.Stack.Kube.Faults.FailRequests(500, "/api/v1/secrets", verb: "watch", times: 5);
        _bed.Stack.Kube.Faults.DropWatches();
        await Check("InfraOperatorInformerWatchDown", Has("resource", "secrets"), "the Secret watch failed more than 3 times");

        // Drift that cannot be repaired: a managed tag removed out of band, TagResource denied to the operator.
        await _bed.Kube.CreateClusterAsync("default", "drifted");
        var drifted = await _bed.WaitReadyAsync("default", "drifted");
        _bed.Aws.Faults.FailNext("TagResource", 1000, "AccessDeniedException", 400, "not authorized to perform ecs:TagResource");
        await _bed.Ecs.UntagResourceAsync(new() { ResourceArn = drifted.Status!.ClusterARN!, TagKeys = ["managed-by"] });
        await Check("InfraOperatorDriftNotRepaired", s => s.Count == 1 && double.Parse(s[0]["__value__"], CultureInfo.InvariantCulture) >= 1,
            "drifted is found out of sync by two scans in a row");

        // What must stay quiet while the operator runs.
        await Check("InfraOperatorAbsent", Empty, "a replica is scraped");
        await Check("InfraOperatorTargetDown", Empty, "the replica answers");
        await Check("InfraOperatorWorkQueueBacklog", Empty, "the queues drain");
        checkedAlerts.Should().BeEquivalentTo(MonitoringRules.Alerts().Select(a => a["alert"]!.GetValue<string>()).Except(["InfraOperatorAbsent", "InfraOperatorTargetDown"])
            .Append("InfraOperatorAbsent").Append("InfraOperatorTargetDown"), "every shipped alert is checked against the real operator");
        (await _prometheus.QueryAsync("controller:controller_runtime_reconcile_errors:ratio_rate10m")).Select(s => s["controller"])
            .Should().BeEquivalentTo(["ecscluster", "awsprovider"]);

        // Every selector of every rule matches series the operator exposes (a misspelt metric or label would match none).
        foreach (var selector in MonitoringRules.Rules().SelectMany(r => MonitoringRules.Selectors(r["expr"]!.GetValue<string>())).Distinct())
        {
            (await _prometheus.QueryAsync(selector)).Should().NotBeEmpty($"the selector {selector} must match what the operator exposes");
        }
        _bed.Aws.Faults.Clear();
    }

    [Test, Order(2)]
    public async Task Every_dashboard_query_names_only_metrics_a_live_scrape_exposes()
    {
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync(new Uri(_bed.OperatorAddress, "metrics"));
        var exposed = scrape.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
        exposed.Add("up"); // Prometheus's own series of every target

        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(MonitoringRules.Dashboard))!;
        dashboard["templating"]!["list"]!.AsArray().Should().Contain(v => v!["type"]!.GetValue<string>() == "datasource" && v["name"]!.GetValue<string>() == "datasource");
        var targets = dashboard["panels"]!.AsArray().Where(p => p!["type"]!.GetValue<string>() != "row")
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => (Panel: p["title"]!.GetValue<string>(), Target: t!))).ToList();
        targets.Should().HaveCountGreaterThan(20);
        foreach (var (panel, target) in targets)
        {
            target["datasource"]!["uid"]!.GetValue<string>().Should().Be("${datasource}", panel);
            var expr = target["expr"]!.GetValue<string>();
            var names = MonitoringRules.MetricNames(expr).ToList();
            names.Should().NotBeEmpty(expr);
            names.Should().OnlyContain(n => exposed.Contains(n), $"panel \"{panel}\" queries `{expr}`; a live scrape exposes: {string.Join(", ", exposed.Order())}");
            (await _prometheus.QueryAsync(expr)).Should().NotBeEmpty($"panel \"{panel}\" must show something for the running operator: `{expr}`");
        }
    }

    [Test, Order(3)]
    public async Task Promtool_check_metrics_finds_nothing_in_a_live_scrape()
    {
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync(new Uri(_bed.OperatorAddress, "metrics"));
        scrape.Should().Contain("leader_election_master_status").And.Contain("ecscluster_parked_keys").And.Contain("service_name=\"infra-operator-local\"");
        var (code, output) = await PrometheusServer.RunToolAsync("promtool", ["check", "metrics"], stdin: scrape);
        code.Should().Be(0, output);
        output.Trim().Should().BeEmpty("promtool lists every problem it finds");
    }

    [Test, Order(4)]
    public async Task Once_the_operator_stops_the_down_and_absent_alerts_match()
    {
        await _bed.StopOperatorAsync();
        await ExpectAsync("InfraOperatorTargetDown", s => s.Count == 1 && s[0]["job"] == "infra-operator", "the target no longer answers");
        await ExpectAsync("InfraOperatorAbsent", s => s.Count == 1, "no replica is scraped");
    }
}
