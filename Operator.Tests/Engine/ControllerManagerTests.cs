using Microsoft.Extensions.Hosting;
using Operator.Core.Runtime;
using Operator.Core.Supervision;

namespace Operator.Tests.Engine;

/// <summary>
/// The flat supervisor: any one runnable that dies, among informers, two controllers and the drift scanner, takes the
/// process down (exit code 1, Critical log naming it, unhealthy) while the others are still running; leader-only
/// runnables wait for every informer to sync; nothing starts before the API server answers.
/// Runs alone: most tests assert Environment.ExitCode, which is process-wide (a failing host in a test running meanwhile
/// would set it, one earlier may have left it set).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ControllerManagerTests
{
    private static readonly string[] Everyone =
        ["informer/ecsclusters", "informer/awsproviders", "informer/secrets", "ecscluster", "awsprovider", "drift-scanner/ecsclusters", "event-recorder"];

    [SetUp]
    [TearDown]
    public void RestoreExitCode() => Environment.ExitCode = 0;

    [TestCaseSource(nameof(Everyone))]
    public async Task Killing_any_one_runnable_stops_the_host_with_exit_code_1(string victim)
    {
        var fleet = new Fleet();
        await fleet.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => fleet.All.All(c => c.Running), "every runnable running");

        fleet.Get(victim).Kill(new InvalidOperationException("a bug"));
        await Eventually.UntilAsync(() => fleet.Lifetime.Stopped, "the host to be stopped");

        Environment.ExitCode.Should().Be(1);
        fleet.Manager.IsHealthy.Should().BeFalse();
        fleet.Manager.Failure.Should().StartWith(victim);
        fleet.Logs.Lines.Should().Contain(l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains(victim, StringComparison.Ordinal)
            && l.Contains("at Operator.Tests.Engine.ControllerManagerTests.Component.RunAsync", StringComparison.Ordinal),
            "the Critical line carries the exception with its stack");
        await fleet.Manager.StopAsync(CancellationToken.None);
    }

    [TestCase("drift-scanner/ecsclusters")]
    [TestCase("informer/secrets")]
    [TestCase("event-recorder")]
    public async Task A_runnable_that_returns_while_the_host_runs_stops_the_host(string victim)
    {
        var fleet = new Fleet();
        await fleet.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => fleet.All.All(c => c.Running), "every runnable running");

        fleet.Get(victim).Kill(null);
        await Eventually.UntilAsync(() => fleet.Lifetime.Stopped, "the host to be stopped");

        Environment.ExitCode.Should().Be(1);
        fleet.Manager.Failure.Should().Be($"{victim}: returned while the operator was running");
        await fleet.Manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_normal_shutdown_is_not_a_failure()
    {
        var fleet = new Fleet();
        await fleet.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => fleet.All.All(c => c.Running), "every runnable running");
        await fleet.Manager.StopAsync(CancellationToken.None);

        fleet.Lifetime.Stopped.Should().BeFalse();
        fleet.Manager.IsHealthy.Should().BeTrue();
        Environment.ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Controllers_start_only_once_every_informer_has_synced_and_readiness_names_the_one_that_has_not()
    {
        var fleet = new Fleet();
        var secrets = (Informer)fleet.Get("informer/secrets");
        secrets.Synced = false;
        secrets.Error = "list 403 Forbidden: secrets is forbidden";
        await fleet.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => fleet.Get("informer/ecsclusters").Running && fleet.Get("informer/awsproviders").Running, "informers running");
        await Eventually.UntilAsync(() => fleet.Logs.All.Contains("Waiting for informer/secrets to sync", StringComparison.Ordinal), "the wait logged");

        fleet.Manager.IsReady.Should().BeFalse();
        fleet.Manager.ReadinessReport.Should().Be("informer/secrets: not synced (list 403 Forbidden: secrets is forbidden)");
        fleet.Get("ecscluster").Running.Should().BeFalse();
        fleet.Get("awsprovider").Running.Should().BeFalse();
        fleet.Get("drift-scanner/ecsclusters").Running.Should().BeFalse();

        secrets.Synced = true;
        await Eventually.UntilAsync(() => fleet.All.All(c => c.Running), "the controllers started after the last sync");
        fleet.Manager.ReadinessReport.Should().BeNull();
        await fleet.Manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Nothing_starts_until_the_api_server_answers()
    {
        var api = new ApiServerGate();
        var fleet = new Fleet(api);
        await fleet.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => api.Attempts >= 2, "the API server probed twice");

        fleet.All.Should().OnlyContain(c => !c.Running, "no informer or controller runs before the API server answers");
        fleet.Manager.IsHealthy.Should().BeTrue("an unreachable API server is waited for, not a failure");

        api.Open = true;
        await Eventually.UntilAsync(() => fleet.All.All(c => c.Running), "every runnable running once the API server answers");
        await fleet.Manager.StopAsync(CancellationToken.None);
    }

    /// <summary>Three informers, two controllers and a drift scanner, as the product registers them.</summary>
    private sealed class Fleet
    {
        public Fleet(ApiServerGate? api = null)
        {
            var loggers = LoggerFactory.Create(l => l.AddProvider(Logs));
            var wait = api is null ? null : new ApiServerWait(
                new Operator.Core.Kubernetes.OperatorKubernetesClient(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }, Operator.Core.Kubernetes.KubeJson.Engine, api),
                TimeProvider.System, loggers.CreateLogger<ApiServerWait>());
            Manager = new ControllerManager(
                All.OfType<ISyncingRunnable>(), All.Where(c => c is not ISyncingRunnable and not ISupportRunnable), null, Lifetime,
                loggers.CreateLogger<ControllerManager>(), wait, support: All.OfType<ISupportRunnable>());
        }

        public LogCapture Logs { get; } = new();
        public StopRecorder Lifetime { get; } = new();
        public ControllerManager Manager { get; }

        public IReadOnlyList<Component> All { get; } =
        [
            new Informer("informer/ecsclusters"), new Informer("informer/awsproviders"), new Informer("informer/secrets"),
            new Component("ecscluster"), new Component("awsprovider"), new Component("drift-scanner/ecsclusters"), new Support("event-recorder"),
        ];

        public Component Get(string name) => All.Single(c => c.Name == name);
    }

    /// <summary>Runs until cancelled, or until <see cref="Kill"/> makes it fault (or return, with null).</summary>
    private class Component(string name) : IRunnable
    {
        private readonly TaskCompletionSource<Exception?> _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;
        public bool Running { get; private set; }

        public void Kill(Exception? error) => _killed.TrySetResult(error);

        public async Task RunAsync(CancellationToken ct)
        {
            Running = true;
            var error = await _killed.Task.WaitAsync(ct);
            if (error is not null)
            {
                throw error;
            }
        }
    }

    private sealed class Support(string name) : Component(name), ISupportRunnable;

    private sealed class Informer(string name) : Component(name), ISyncingRunnable
    {
        public bool Synced { get; set; } = true;
        public string? Error { get; set; }
        public bool HasSynced => Synced && Running;
        public string? SyncError => Synced ? null : Error;
    }

    /// <summary>The API server's /version: unreachable (connection refused) until <see cref="Open"/>, then any answer (403).</summary>
    private sealed class ApiServerGate : DelegatingHandler
    {
        private int _attempts;
        private volatile bool _open;

        public bool Open
        {
            get => _open;
            set => _open = value;
        }

        public int Attempts => Volatile.Read(ref _attempts);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return Open
                ? Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.Forbidden) { Content = new StringContent("") })
                : Task.FromException<HttpResponseMessage>(new HttpRequestException("connection refused"));
        }
    }

    private sealed class StopRecorder : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => Stopped = true;
    }
}
