using System.Net.Sockets;
using k8s.Autorest;
using Microsoft.AspNetCore.Builder;
using Operator.Core.Api.V1Alpha1;
using Operator.TestBed;
using Operator.Testing.ControlPlane;

namespace Operator.Tests.Lane;

/// <summary>
/// What a lane test runs against: a <see cref="LaneControlPlane"/> (emulated or real), the in-process ECS + STS
/// emulator as AWS (knowing the guide's static keys, recording every request), and a web identity token file for
/// the guide's IRSA providers. Operators are started over it as the operator's ServiceAccount, in process
/// (<see cref="StartOperatorAsync"/>) or as separate processes (<see cref="StartProcess"/>), and stopped with it.
/// </summary>
internal sealed class LaneEnvironment : IAsyncDisposable
{
    public const string Account = AwsCredentialStore.DefaultAccountId;

    private readonly DirectoryInfo _directory;
    private readonly List<LaneProcess> _processes = [];
    private readonly List<WebApplication> _inProcess = [];

    private LaneEnvironment(LaneControlPlane plane, AwsEmulator aws, DirectoryInfo directory)
    {
        Plane = plane;
        Aws = aws;
        _directory = directory;
        WebIdentityTokenFile = Path.Combine(directory.FullName, "web-identity-token");
    }

    public LaneControlPlane Plane { get; }
    public AwsEmulator Aws { get; }
    public IKubernetes Admin => Plane.Admin;
    public string WebIdentityTokenFile { get; }

    /// <summary>A directory of this environment's, deleted with it.</summary>
    public string WorkDirectory => _directory.FullName;

    /// <summary>Log lines of every in-process operator started here.</summary>
    public LogCapture Logs { get; } = new();

    public static async Task<LaneEnvironment> StartAsync(LaneBackend backend)
    {
        var directory = Directory.CreateTempSubdirectory("lane-");
        var aws = await AwsEmulator.StartAsync(new AwsEmulatorOptions { RecordRequests = true });
        aws.Credentials.Add("test", "test", Account, "guide-user");
        aws.Credentials.Add("test-inspector", "inspector-secret", Account, "test-inspector");
        aws.Ecs.RegisterCapacityProvider(Account, "us-east-1", "my-ec2-capacity-provider");
        LaneControlPlane? plane = null;
        try
        {
            plane = await LaneControlPlane.StartAsync(backend);
            var lane = new LaneEnvironment(plane, aws, directory);
            await File.WriteAllTextAsync(lane.WebIdentityTokenFile, "eyJhbGciOiJSUzI1NiJ9.lane-web-identity.signature");
            return lane;
        }
        catch
        {
            if (plane is not null)
            {
                await plane.DisposeAsync();
            }
            await aws.DisposeAsync();
            directory.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Starts the production composition (OperatorHost + EcsOperatorModule) in this process, as the operator's
    /// ServiceAccount, with local mode's settings for the emulated AWS (no Lease unless <paramref name="settings"/>
    /// says otherwise) and a 30 s resync.
    /// </summary>
    public async Task<WebApplication> StartOperatorAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new AwsEnvironment(name => name == AwsEnvironment.WebIdentityTokenFileVariable ? WebIdentityTokenFile : null, File.Exists);
        var overrides = new Dictionary<string, string?> { ["DrainTimeout"] = "00:00:05", ["AwsMaxRetries"] = "8" };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }
        var app = OperatorHost.Build([], (builder, options) =>
        {
            builder.Services.AddSingleton(environment);
            EcsOperatorModule.Register(builder, options);
            builder.Logging.AddProvider(Logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }, Plane.CreateOperatorClient(), overrides, InProcessStack.EmulatorSettings(Aws.Endpoint, TimeSpan.FromSeconds(30)));
        await app.StartAsync();
        _inProcess.Add(app);
        return app;
    }

    public async Task StopOperatorAsync(WebApplication app)
    {
        if (_inProcess.Remove(app))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts the operator binary (<c>OPERATOR_BINARY</c>, e.g. the Native AOT executable, else this build's
    /// Operator.dll) as a replica named <paramref name="identity"/> (POD_NAME) with leader election on, the operator's
    /// ServiceAccount kubeconfig, and <paramref name="args"/> added to the flags.
    /// </summary>
    public LaneProcess StartProcess(string identity, params string[] args)
    {
        var metrics = FreePort();
        var health = FreePort();
        string[] flags =
        [
            "run", "--kubeconfig", Plane.OperatorKubeconfig, "--leader-elect", "true", "--aws-endpoint", Aws.Endpoint.ToString(),
            "--allowed-endpoints", "*", "--allowed-role-arns", "*", "--default-credentials-namespaces", "*", "--bind-address", "127.0.0.1",
            "--metrics-port", metrics.ToString(CultureInfo.InvariantCulture), "--health-port", health.ToString(CultureInfo.InvariantCulture),
            "--log-format", "text", "--log-level", "Information", "--resync-period", "00:00:30", .. args,
        ];
        var binary = LaneProcess.Binary;
        var (file, all) = binary.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [binary, .. flags]) : (binary, flags);
        var child = ChildProcess.Start(identity, file, all, Path.Combine(_directory.FullName, $"{identity}.log"), new Dictionary<string, string?>
        {
            ["POD_NAME"] = identity,
            [AwsEnvironment.WebIdentityTokenFileVariable] = WebIdentityTokenFile,
            ["KUBECONFIG"] = null,
        });
        var process = new LaneProcess(identity, child, metrics, health);
        _processes.Add(process);
        return process;
    }

    /// <summary>Runs kubectl as the admin with <paramref name="json"/> as the object(s) on stdin.</summary>
    public Task ApplyAsync(JsonNode json, params string[] args) => Plane.KubectlAsync(["apply", "-f", "-", .. args], json.ToJsonString());

    public async Task<ECSCluster?> GetClusterAsync(string ns, string name)
    {
        try
        {
            var obj = await Admin.CustomObjects.GetNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name);
            return EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(obj));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<AWSProvider?> GetProviderAsync(string ns, string name)
    {
        try
        {
            var obj = await Admin.CustomObjects.GetNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, AWSProvider.PluralName, name);
            return EcsOperatorModule.Json.Deserialize<AWSProvider>(EcsOperatorModule.Json.Serialize(obj));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ECSCluster> WaitForClusterAsync(string ns, string name, Func<ECSCluster, bool> condition, string what, TimeSpan? timeout = null)
    {
        ECSCluster? last = null;
        await Eventually.UntilAsync(async () => (last = await GetClusterAsync(ns, name)) is { } c && condition(c),
            () => $"{ns}/{name}: {what} on {Plane.Description}; last seen: {(last is null ? "absent" : EcsOperatorModule.Json.Serialize(last.Status ?? new()))}"
                + OperatorLogAbout(name),
            timeout ?? TimeSpan.FromSeconds(90));
        return last!;
    }

    /// <summary>For a failure message: the in-process operator's last log lines about <paramref name="name"/> and its
    /// informers (empty when the operator runs as a child process, whose output its own log file keeps).</summary>
    private string OperatorLogAbout(string name)
    {
        var lines = Logs.Lines.Where(l => !l.StartsWith("Trace", StringComparison.Ordinal) && (l.Contains($"name={name} ", StringComparison.Ordinal)
            || l.Contains("Informer", StringComparison.Ordinal) || l.Contains("Reflector", StringComparison.Ordinal))).TakeLast(30).ToList();
        return lines.Count == 0 ? "" : "\noperator log:\n" + string.Join('\n', lines.Select(l => l.Length > 400 ? l[..400] : l));
    }

    public Task<ECSCluster> WaitReadyAsync(string ns, string name, TimeSpan? timeout = null) =>
        WaitForClusterAsync(ns, name, c => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation, "Ready", timeout);

    public async Task WaitGoneAsync(string ns, string name) =>
        await Eventually.UntilAsync(async () => await GetClusterAsync(ns, name) is null, $"{ns}/{name} gone from {Plane.Description}", TimeSpan.FromSeconds(90));

    /// <summary>An ECS client of the same account under other keys: what a user's `aws ecs` sees.</summary>
    public Operator.Core.Aws.Ecs.IEcsClient Ecs => _ecs ??= new Operator.Core.Aws.Ecs.EcsClient(new HttpClient(),
        new Amazon.Runtime.BasicAWSCredentials("test-inspector", "inspector-secret"),
        new Operator.Core.Aws.Ecs.EcsClientOptions { Region = "us-east-1", Endpoint = Aws.Endpoint });

    private Operator.Core.Aws.Ecs.IEcsClient? _ecs;

    /// <summary>The cluster as ECS has it now, with every include; null when missing.</summary>
    public async Task<Operator.Core.Aws.Ecs.Model.Cluster?> DescribeAsync(string clusterName)
    {
        var response = await Ecs.DescribeClustersAsync(new Operator.Core.Aws.Ecs.Model.DescribeClustersRequest
        {
            Clusters = [clusterName], Include = Operator.Core.Aws.Ecs.Model.ClusterField.All,
        });
        return response.Clusters?.FirstOrDefault(c => c.ClusterName == clusterName && c.Status != "INACTIVE");
    }

    /// <summary>The ECS operations the operator sent that name <paramref name="clusterName"/> (the test's own calls excluded).</summary>
    public List<string> OperatorCallsNaming(string clusterName) =>
        Aws.RecordedRequests
            .Where(r => (r.Contains($"\"{clusterName}\"", StringComparison.Ordinal) || r.Contains($"cluster/{clusterName}\"", StringComparison.Ordinal))
                && !r.Contains("Credential=test-inspector/", StringComparison.Ordinal))
            .Select(r => System.Text.RegularExpressions.Regex.Match(r, @"(?im)^x-amz-target: *[^.\r\n]*\.(\w+)").Groups[1].Value)
            .Where(op => op.Length > 0)
            .ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        foreach (var app in _inProcess.ToList())
        {
            await StopOperatorAsync(app);
        }
        await Plane.DisposeAsync();
        await Aws.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One operator replica running as its own process.</summary>
internal sealed class LaneProcess(string identity, ChildProcess child, int metricsPort, int healthPort) : IAsyncDisposable
{
    /// <summary>The binary under test: <c>OPERATOR_BINARY</c> (scripts/test-aot sets the Native AOT executable), else this build's Operator.dll.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("OPERATOR_BINARY") is { Length: > 0 } binary
        ? Path.GetFullPath(binary) : Path.Combine(AppContext.BaseDirectory, "Operator.dll");

    public string Identity { get; } = identity;
    public ChildProcess Child { get; } = child;
    public int MetricsPort { get; } = metricsPort;
    public int HealthPort { get; } = healthPort;
    public bool HasExited => Child.HasExited;
    public string Output => string.Join('\n', Child.Lines);

    /// <summary>The lines the process logged at error level or above (text format: " fail " / " crit ").</summary>
    public IReadOnlyList<string> Errors => [.. Child.Lines.Where(l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" crit ", StringComparison.Ordinal))];

    /// <summary>What this replica's /metrics says of leader_election_master_status (null: not answering).</summary>
    public async Task<bool?> LeadsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort.ToString(CultureInfo.InvariantCulture)}/metrics"));
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("leader_election_master_status{", StringComparison.Ordinal));
            // "name{labels} value [timestamp]"
            return line is not null && line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] == "1";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => Child.DisposeAsync();
}
