using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Leadership;
using Operator.Core.Runtime;
using Operator.Core.Supervision;

namespace Operator.Tests.Engine;

/// <summary>
/// Two operator instances on one Lease, against the emulator over real HTTP: exactly one reconciles; an API server
/// restart shorter than the renew deadline changes nothing; a longer one makes the leader step down and the standby
/// take over; a stopped leader releases the Lease so the standby does not wait out the lease duration.
/// The fixture runs with the others; the two tests that assert the process exit code stayed 0 run alone
/// ([NonParallelizable] on the test: Environment.ExitCode is process-wide, and a leader losing its Lease, here or in a
/// test running meanwhile, sets it to 1). Where the Lease's creation is not the subject, a released Lease is there
/// first, so the first leader does not wait one lease duration (the fence of a Lease it creates itself).
/// </summary>
[TestFixture]
public sealed class LeaderElectionTests
{
    private const string LeaseNamespace = "infra-operator-system";

    [SetUp]
    [TearDown]
    public void RestoreExitCode() => Environment.ExitCode = 0;

    [Test]
    [NonParallelizable]
    public async Task Only_the_leader_reconciles_and_a_stopped_leader_releases_the_Lease_to_the_standby()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        // A long lease: a standby that had to wait it out would take 30 s; the release lets it in at its next retry.
        var timing = new Timing(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        // A Lease left by an earlier leader, as a real apiserver returns it: a replica started while it exists takes it
        // (released: no holder) without the fence of a Lease it creates itself.
        await CreateLeaseAsync(bed, holder: "", durationSeconds: 1);
        var leases = await LeaseHistory.StartAsync(bed, meters);

        var a = Instance("a", bed, meters, reconciledBy, timing);
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");
        var b = Instance("b", bed, meters, reconciledBy, timing);
        await b.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsReady, "instance b's informers synced");

        await bed.CreateClusterAsync("default", "first");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/first"), "first reconciled");
        // A marker created after "first" and reconciled proves b had every chance to reconcile "first" too.
        await bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/marker"), "marker reconciled");
        b.Manager.IsLeader.Should().BeFalse();
        reconciledBy.Select(r => r.Instance).Should().OnlyContain(i => i == "a", "only the leader runs workers");
        var held = (await ReadLeaseAsync(bed)).Spec;
        held.HolderIdentity.Should().Be("a");
        var heldLease = await ReadLeaseAsync(bed);
        heldLease.Metadata.Annotations.Should().ContainKey("example.com/note", "the leader writes only the Lease's spec, never metadata it does not own");
        heldLease.Metadata.Labels.Should().ContainKey("app.kubernetes.io/managed-by");

        await a.Manager.StopAsync(CancellationToken.None); // SIGTERM: drain, then release
        await Eventually.UntilAsync(() => b.Manager.IsLeader, "b takes over the Lease");

        leases.Seen.Should().Contain(s => s.HolderIdentity == "" && s.LeaseDurationSeconds == 1,
            "the stopping leader cleared the holder and shortened the lease, as client-go's ReleaseOnCancel");
        var taken = (await ReadLeaseAsync(bed)).Spec;
        taken.HolderIdentity.Should().Be("b");
        taken.LeaseTransitions.Should().Be(held.LeaseTransitions + 1);
        // Causal, not timed: the state b took the Lease from is the released one (no holder, a 1 s lease), not a's
        // 30 s lease left to expire.
        await Eventually.UntilAsync(() => leases.Seen.Any(s => s.HolderIdentity == "b"), "the Lease history to show b holding it");
        var history = leases.Seen.ToList();
        var acquired = history.FindIndex(s => s.HolderIdentity == "b");
        acquired.Should().BeGreaterThan(0);
        history[acquired - 1].Should().Match<V1LeaseSpec>(s => s.HolderIdentity == "" && s.LeaseDurationSeconds == 1,
            "the standby acquired the released Lease instead of waiting for the leader's to expire");

        await bed.CreateClusterAsync("default", "second");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/second"), "second reconciled");
        reconciledBy.Where(r => r.Key == "default/second").Select(r => r.Instance).Should().OnlyContain(i => i == "b");
        await b.Manager.StopAsync(CancellationToken.None);
        a.Lifetime.Stopped.Should().BeFalse("a stopped by cancellation, not by losing the Lease");
        Environment.ExitCode.Should().Be(0);
        await leases.DisposeAsync();
    }

    [Test]
    [NonParallelizable]
    public async Task An_API_server_restart_shorter_than_the_renew_deadline_keeps_the_leader_leading()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        await CreateLeaseAsync(bed, holder: "", durationSeconds: 1);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        var timing = new Timing(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(300));
        var a = Instance("a", bed, meters, reconciledBy, timing);
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");
        var b = Instance("b", bed, meters, reconciledBy, timing);
        await b.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsReady, "instance b's informers synced");
        var before = (await ReadLeaseAsync(bed)).Spec;

        // Longer than several retry periods, so both the leader's renewals and the standby's acquires are refused.
        await bed.Emulator.Faults.RefuseConnectionsAsync(TimeSpan.FromSeconds(2));
        var back = DateTime.UtcNow;
        await Eventually.UntilAsync(async () => (await ReadLeaseAsync(bed)).Spec.RenewTime > back, "a renewal after the restart");

        var after = (await ReadLeaseAsync(bed)).Spec;
        after.HolderIdentity.Should().Be("a");
        after.LeaseTransitions.Should().Be(before.LeaseTransitions);
        after.AcquireTime.Should().Be(before.AcquireTime, "leadership was never given up");
        a.Manager.IsLeader.Should().BeTrue();
        b.Manager.IsLeader.Should().BeFalse();
        a.Lifetime.Stopped.Should().BeFalse();
        b.Lifetime.Stopped.Should().BeFalse();
        a.Manager.IsHealthy.Should().BeTrue();
        b.Manager.IsHealthy.Should().BeTrue();
        a.Logs.All.Should().Contain("Renewing Lease", "the refused renewals were retried, not ignored");

        // The leader still reconciles.
        await bed.CreateClusterAsync("default", "after-restart");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/after-restart"), "reconciled after the restart");
        reconciledBy.Select(r => r.Instance).Should().OnlyContain(i => i == "a");
        await b.Manager.StopAsync(CancellationToken.None);
        await a.Manager.StopAsync(CancellationToken.None);
        Environment.ExitCode.Should().Be(0);
    }

    [Test]
    public async Task An_API_server_outage_longer_than_the_renew_deadline_makes_the_leader_step_down_and_the_standby_lead()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        await CreateLeaseAsync(bed, holder: "", durationSeconds: 1);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        var timing = new Timing(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(250));
        var a = Instance("a", bed, meters, reconciledBy, timing);
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");
        var b = Instance("b", bed, meters, reconciledBy, timing);
        await b.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsReady, "instance b's informers synced");
        var before = (await ReadLeaseAsync(bed)).Spec;

        var outage = bed.Emulator.Faults.RefuseConnectionsAsync(TimeSpan.FromSeconds(6));
        await Eventually.UntilAsync(() => a.Lifetime.Stopped, "the leader gives up after its renew deadline");
        a.Manager.IsLeader.Should().BeFalse("its work was aborted when the deadline passed");
        a.Manager.Failure.Should().Contain("leader election lost");
        b.Lifetime.Stopped.Should().BeFalse("a standby retries its acquire for ever");
        await outage;

        await Eventually.UntilAsync(() => b.Manager.IsLeader, "the standby takes over once the Lease expired");
        var after = (await ReadLeaseAsync(bed)).Spec;
        after.HolderIdentity.Should().Be("b");
        after.LeaseTransitions.Should().Be(before.LeaseTransitions + 1);
        await bed.CreateClusterAsync("default", "after-failover");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/after-failover"), "reconciled by the new leader");
        reconciledBy.Where(r => r.Key == "default/after-failover").Select(r => r.Instance).Should().OnlyContain(i => i == "b");
        b.Lifetime.Stopped.Should().BeFalse();
        await a.Manager.StopAsync(CancellationToken.None);
        await b.Manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_replica_that_creates_the_Lease_works_only_after_one_lease_duration_so_a_deleted_Lease_never_gives_two_leaders()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        // a renews slowly, b retries fast: without the fence b would create the deleted Lease and work for up to a
        // second while a, which has not yet noticed, still does.
        var a = Instance("a", bed, meters, reconciledBy, new Timing(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1)));
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");
        var b = Instance("b", bed, meters, reconciledBy, new Timing(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(100)));
        await b.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsReady, "instance b's informers synced");

        // A steady stream of new objects, so that whoever works reconciles all the time.
        using var stopCreating = new CancellationTokenSource();
        var creating = Task.Run(async () =>
        {
            for (var i = 0; !stopCreating.IsCancellationRequested; i++)
            {
                await bed.CreateClusterAsync("default", $"c{i}");
                await Task.Delay(50);
            }
        });
        await Eventually.UntilAsync(() => reconciledBy.Count > 5, "a reconciling the stream");
        await bed.Client.CoordinationV1.DeleteNamespacedLeaseAsync("infra-operator-leader", LeaseNamespace);

        await Eventually.UntilAsync(() => a.Lifetime.Stopped, "a to step down once it sees the Lease gone");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Instance == "b"), "b to lead and reconcile", TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(() => reconciledBy.Count(r => r.Instance == "b") > 5, "b reconciling the stream");
        await stopCreating.CancelAsync();
        await creating;

        var order = reconciledBy.Select(r => r.Instance).ToList();
        var lastOfA = order.LastIndexOf("a");
        var firstOfB = order.IndexOf("b");
        lastOfA.Should().BeLessThan(firstOfB, "at no moment did both replicas reconcile: every pass of a came before b's first");
        a.Manager.Failure.Should().Contain("leader election lost");
        a.Logs.All.Should().Contain("Created Lease", "a created the missing Lease and waited before working");
        b.Logs.All.Should().Contain("Created Lease");
        await a.Manager.StopAsync(CancellationToken.None);
        await b.Manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_renewal_failing_with_an_error_no_retry_can_fix_loses_the_Lease_at_once()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        await CreateLeaseAsync(bed, holder: "", durationSeconds: 1);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        var a = Instance("a", bed, meters, reconciledBy, new Timing(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200)));
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");

        // One renewal answered 422: a retry would succeed (the fault fires once), but an error of this kind means the
        // renew path is broken, and a leader that cannot trust its renewals must stop.
        var fault = bed.Emulator.Faults.FailRequests(422, pathPrefix: "/apis/coordination.k8s.io/", verb: "patch", times: 1);
        await Eventually.UntilAsync(() => a.Lifetime.Stopped, "the leader to give up after the non-transient failure");
        fault.Hits.Should().Be(1);
        a.Manager.Failure.Should().Contain("leader election lost");
        a.Logs.All.Should().Contain("no retry can fix");
        await a.Manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Deadlines_run_on_the_monotonic_clock_so_a_wall_clock_step_back_does_not_extend_leadership()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync(LeaseNamespace);
        await CreateLeaseAsync(bed, holder: "", durationSeconds: 1);
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();
        var clock = new SteppingClock();
        var a = Instance("a", bed, meters, reconciledBy, new Timing(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(250)), clock);
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.LeaderWorkStarted, "instance a leading");

        // The wall clock jumps back an hour (NTP, a VM resumed) while the apiserver refuses connections.
        clock.WallOffset = TimeSpan.FromHours(-1);
        var outage = bed.Emulator.Faults.RefuseConnectionsAsync(TimeSpan.FromSeconds(8));
        await Eventually.UntilAsync(() => a.Lifetime.Stopped, "the leader to give up after its renew deadline, measured on the monotonic clock");
        a.Logs.All.Should().Contain("renew deadline");
        await outage;
        await a.Manager.StopAsync(CancellationToken.None);
    }

    /// <summary>The system clock, with the wall clock offset at will; timestamps and timers stay monotonic.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        public TimeSpan WallOffset { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + WallOffset;
    }

    private static async Task CreateLeaseAsync(KubeTestBed bed, string holder, int durationSeconds)
    {
        var now = DateTime.UtcNow;
        await bed.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta
            {
                Name = "infra-operator-leader",
                NamespaceProperty = LeaseNamespace,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "someone-else" },
                Annotations = new Dictionary<string, string> { ["example.com/note"] = "kept" },
            },
            Spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = durationSeconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 3 },
        }, LeaseNamespace, fieldManager: "someone-else");
    }

    private static async Task<V1Lease> ReadLeaseAsync(KubeTestBed bed) =>
        await bed.Client.CoordinationV1.ReadNamespacedLeaseAsync("infra-operator-leader", LeaseNamespace);

    private sealed record Timing(TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod);

    private sealed record Replica(ControllerManager Manager, FakeLifetime Lifetime, LogCapture Logs);

    private static Replica Instance(
        string name, KubeTestBed bed, TestMeterFactory meters, ConcurrentQueue<(string, string)> reconciledBy, Timing timing, TimeProvider? clock = null)
    {
        var logs = new LogCapture();
        var loggers = LoggerFactory.Create(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var tracker = new OwnWriteFilter([]);
        var informer = new Informer<ECSCluster>(new RawApiClient(bed.Emulator.CreateClient(EcsOperatorModule.Json), EcsOperatorModule.Json), new InformerOptions { ResyncPeriod = TimeSpan.Zero },
            TimeProvider.System, loggers, new InformerMetrics(meters));
        var controller = new Controller<ECSCluster>($"test-{name}", informer, new Recorder(name, reconciledBy), new ControllerOptions { Workers = 1 },
            TimeProvider.System, meters, new ControllerMetrics(meters), loggers, tracker);
        informer.AddHandler(controller);
        var election = new LeaderElection(bed.Emulator.CreateClient(EcsOperatorModule.Json), new LeaderElectionOptions
        {
            Identity = name,
            LeaseDuration = timing.LeaseDuration,
            RenewDeadline = timing.RenewDeadline,
            RetryPeriod = timing.RetryPeriod,
        }, clock ?? TimeProvider.System, loggers.CreateLogger<LeaderElection>());
        var lifetime = new FakeLifetime();
        return new Replica(new ControllerManager([informer], [controller], election, lifetime, loggers.CreateLogger<ControllerManager>()), lifetime, logs);
    }

    /// <summary>Every state of the Lease the API server stored, seen through a watch (so short-lived states are not missed).</summary>
    private sealed class LeaseHistory : IInformerHandler<V1Lease>, IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _running = Task.CompletedTask;

        public ConcurrentQueue<V1LeaseSpec> Seen { get; } = new();

        public static async Task<LeaseHistory> StartAsync(KubeTestBed bed, TestMeterFactory meters)
        {
            var history = new LeaseHistory();
            var informer = new Informer<V1Lease>(new RawApiClient(bed.Client, EcsOperatorModule.Json), new InformerOptions { ResyncPeriod = TimeSpan.Zero, Namespaces = [LeaseNamespace] },
                TimeProvider.System, NullLoggerFactory.Instance, new InformerMetrics(meters));
            informer.AddHandler(history);
            history._running = informer.RunAsync(history._stop.Token);
            await informer.WaitForSyncAsync(CancellationToken.None);
            return history;
        }

        public void OnAdd(V1Lease obj) => Seen.Enqueue(obj.Spec);

        public void OnUpdate(V1Lease oldObj, V1Lease newObj) => Seen.Enqueue(newObj.Spec);

        public void OnDelete(V1Lease obj)
        {
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            _stop.Dispose();
        }
    }

    private sealed class Recorder(string instance, ConcurrentQueue<(string, string)> log) : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            log.Enqueue((instance, request.Key));
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    private sealed class FakeLifetime : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => Stopped = true;
    }
}
