using System.Net.Sockets;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The operator as a separate process, the way it ships (leader election on, with short Lease timings: lease 6 s,
/// renew deadline 4 s, retry 1 s, so the Lease it creates is usable after 6 s, not 15 s), over the in-process
/// emulators: it takes the Lease, a static-keys provider and a cluster become Ready (the ECS cluster created and tagged, a Created event recorded), /healthz, /readyz and
/// /metrics answer, deleting the cluster deletes the ECS cluster and releases the object, and the process logs no
/// error. Its spans go over OTLP/HTTP to an in-test receiver (the standard OTEL_* variables in the child's environment):
/// the reconcile span with its AWS call spans as children, under service.name infra-operator, which /metrics carries too;
/// its text log lines then end with the trace and span ids. The binary is <c>OPERATOR_BINARY</c> when set (scripts/test-aot sets it to the Native AOT executable,
/// which runs none of the JIT build's reflection paths), else this build's framework-dependent Operator.dll: the
/// same test passes against both.
/// </summary>
[TestFixture]
public sealed class OperatorProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private OperatorTestBed _bed = null!;
    private OtlpReceiver _otlp = null!;
    private Process _child = null!;
    private string _kubeconfig = null!;
    private readonly ConcurrentQueue<string> _output = new();
    private int _metricsPort;
    private int _healthPort;

    /// <summary>What ran: the OPERATOR_BINARY path, or this build's Operator.dll under dotnet.</summary>
    internal static string Binary => Environment.GetEnvironmentVariable("OPERATOR_BINARY") is { Length: > 0 } binary
        ? Path.GetFullPath(binary) : Path.Combine(AppContext.BaseDirectory, "Operator.dll");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        File.Exists(Binary).Should().BeTrue($"the operator binary {Binary} must exist");
        _bed = await OperatorTestBed.StartAsync(startOperator: false);
        _kubeconfig = _bed.Stack.Kube.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"operator-process-{Guid.NewGuid():N}.kubeconfig"), token: "test");
        _metricsPort = FreePort();
        _healthPort = FreePort();
        var start = Binary.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { Binary } }
            : new ProcessStartInfo(Binary);
        foreach (var arg in new[]
                 {
                     "run", "--kubeconfig", _kubeconfig, "--leader-elect", "true", "--leader-election-namespace", "infra-operator-system",
                     "--leader-election-lease-duration", "00:00:06", "--leader-election-renew-deadline", "00:00:04", "--leader-election-retry-period", "00:00:01",
                     "--aws-endpoint", _bed.Aws.Endpoint.ToString(),
                     "--allowed-endpoints", "*", "--bind-address", "127.0.0.1",
                     "--metrics-port", _metricsPort.ToString(CultureInfo.InvariantCulture),
                     "--health-port", _healthPort.ToString(CultureInfo.InvariantCulture),
                     "--log-format", "text", "--log-level", "Information", "--resync-period", "00:00:02",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _otlp = await OtlpReceiver.StartAsync();
        foreach (var (name, value) in _otlp.Settings())
        {
            start.Environment[name] = value;
        }
        start.Environment.Remove("OTEL_SERVICE_NAME");
        _child = Process.Start(start)!;
        _child.OutputDataReceived += (_, e) => Keep(e.Data);
        _child.ErrorDataReceived += (_, e) => Keep(e.Data);
        _child.BeginOutputReadLine();
        _child.BeginErrorReadLine();
        TestContext.Progress.WriteLine($"operator process: {Binary}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_child is not null)
        {
            if (!_child.HasExited)
            {
                _child.Kill(entireProcessTree: true);
                await _child.WaitForExitAsync();
            }
            _child.Dispose();
        }
        if (_bed is not null)
        {
            await _bed.DisposeAsync();
        }
        if (_otlp is not null)
        {
            await _otlp.DisposeAsync();
        }
        if (_kubeconfig is not null)
        {
            File.Delete(_kubeconfig);
        }
    }

    [Test, Order(1)]
    public async Task A_cluster_becomes_Ready_and_is_deleted_with_its_ECS_cluster()
    {
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                var lease = await _bed.Client.CoordinationV1.ReadNamespacedLeaseAsync("infra-operator-leader", "infra-operator-system");
                return !string.IsNullOrEmpty(lease.Spec?.HolderIdentity);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }, "the process to take the Lease", Timeout);
        await _bed.CreateStaticProviderAsync("default", "p");
        await Eventually.UntilAsync(async () => (await _bed.GetProviderAsync("default", "p"))?.Status?.Ready == true, "the provider to be Ready", Timeout);
        await _bed.Kube.CreateClusterAsync("default", "from-process");
        await _bed.WaitForClusterAsync("default", "from-process", c => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation,
            "the cluster to be Ready", Timeout);

        var ecs = await _bed.DescribeAsync("from-process");
        ecs.Should().NotBeNull();
        ecs!.Status.Should().Be("ACTIVE");
        await Eventually.UntilAsync(async () => (await _bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=from-process"))
            .Items.Any(e => e.Reason == LifecycleReasons.Created), "a Created event", Timeout);

        await _bed.Kube.DeleteClusterAsync("default", "from-process");
        await Eventually.UntilAsync(async () => await _bed.GetClusterAsync("default", "from-process") is null, "the object to be gone", Timeout);
        var deleted = await _bed.DescribeAsync("from-process");
        (deleted is null || deleted.Status == "INACTIVE").Should().BeTrue("deletionPolicy Delete deletes the ECS cluster");
    }

    [Test, Order(2)]
    public async Task Probes_and_metrics_answer()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.UntilAsync(async () => await StatusOf(http, _healthPort, "/readyz") == HttpStatusCode.OK, "/readyz to answer 200", Timeout);
        (await StatusOf(http, _healthPort, "/healthz")).Should().Be(HttpStatusCode.OK);
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{_metricsPort}/metrics"));
        metrics.Should().Contain("controller_runtime_reconcile_total").And.Contain("service_name=\"infra-operator\"")
            .And.Contain("leader_election_master_status{").And.Contain("ecscluster_objects{");
    }

    [Test, Order(3)]
    public async Task Reconcile_and_AWS_spans_reach_an_OTLP_receiver_and_log_lines_end_with_their_ids()
    {
        ReceivedSpan? create = null;
        await Eventually.UntilAsync(() => (create = _otlp.Spans.FirstOrDefault(s => s.Name == "ecs.CreateCluster")) is not null,
            () => $"an ecs.CreateCluster span; received: {string.Join(", ", _otlp.Spans.Select(s => s.Name).Distinct())}", Timeout);
        // The reconcile's span ends (and is exported) after its AWS call's, possibly in a later batch.
        ReceivedSpan? reconcile = null;
        await Eventually.UntilAsync(() => (reconcile = _otlp.Spans.FirstOrDefault(s => s.SpanId == create!.ParentSpanId)) is not null,
            () => $"the AWS call's span is a child of a reconcile's span, received too; received: {string.Join(", ", _otlp.Spans.Select(s => s.Name).Distinct())}", Timeout);
        reconcile!.Name.Should().Be("reconcile ECSCluster");
        reconcile.TraceId.Should().Be(create!.TraceId);
        _otlp.Spans.Should().OnlyContain(s => s.ServiceName == "infra-operator");
        await Eventually.UntilAsync(() => _otlp.Spans.Any(s => s.Name == "reconcile AWSProvider"), () => "an AWSProvider reconcile's span", Timeout);

        var traced = _output.Where(l => l.Contains("object=default/from-process", StringComparison.Ordinal)).ToList();
        traced.Should().NotBeEmpty();
        traced.Should().OnlyContain(l => System.Text.RegularExpressions.Regex.IsMatch(l, " trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}$"),
            "a line logged inside a reconcile ends with the ids of its span");
        _output.Should().NotContain(l => l.Contains("SpanId=", StringComparison.Ordinal) || l.Contains("ParentId=", StringComparison.Ordinal));
    }

    [Test, Order(4)]
    public void The_process_is_running_and_logged_no_error()
    {
        _child.HasExited.Should().BeFalse(string.Join('\n', _output));
        _output.Where(l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" crit ", StringComparison.Ordinal)
            || l.Contains("Exception", StringComparison.Ordinal)).Should().BeEmpty();
    }

    private static async Task<HttpStatusCode?> StatusOf(HttpClient http, int port, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 500 && _output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
