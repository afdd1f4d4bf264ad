using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Controllers;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Leadership;
using Operator.Core.Runtime;
using Operator.Tests.Support;

namespace Operator.Tests.Engine;

/// <summary>Two operator instances on one Lease: exactly one reconciles, and the other takes over when it stops.</summary>
[TestFixture]
public sealed class LeaderElectionTests
{
    [Test]
    public async Task Only_the_leader_reconciles_and_the_standby_takes_over()
    {
        await using var bed = await KubeTestBed.StartAsync();
        await bed.EnsureNamespaceAsync("infra-operator-system");
        using var meters = new TestMeterFactory();
        var reconciledBy = new ConcurrentQueue<(string Instance, string Key)>();

        var a = Instance("a", bed, meters, reconciledBy);
        await a.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => a.Manager.IsLeader && a.Manager.IsReady, "instance a leading");
        var b = Instance("b", bed, meters, reconciledBy);
        await b.Manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsReady, "instance b's informers synced");

        await bed.CreateClusterAsync("default", "first");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/first"), "first reconciled");
        // A marker created after "first" and reconciled proves b had every chance to reconcile "first" too.
        await bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/marker"), "marker reconciled");
        b.Manager.IsLeader.Should().BeFalse();
        reconciledBy.Select(r => r.Instance).Should().OnlyContain(i => i == "a", "only the leader runs workers");

        await a.Manager.StopAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => b.Manager.IsLeader, "b takes over the Lease");
        await bed.CreateClusterAsync("default", "second");
        await Eventually.UntilAsync(() => reconciledBy.Any(r => r.Key == "default/second"), "second reconciled");

        // The new leader starts by reconciling everything in its cache, as controller-runtime does.
        reconciledBy.Where(r => r.Key == "default/second").Select(r => r.Instance).Should().OnlyContain(i => i == "b");
        await b.Manager.StopAsync(CancellationToken.None);
        a.Lifetime.Stopped.Should().BeFalse("a stopped by cancellation, not by losing the Lease");
    }

    private static (ControllerManager Manager, FakeLifetime Lifetime) Instance(
        string name, KubeTestBed bed, TestMeterFactory meters, ConcurrentQueue<(string, string)> reconciledBy)
    {
        var tracker = new OwnWriteFilter([]);
        var informer = new Informer<ECSCluster>(new RawApiClient(bed.Client), new InformerOptions { ResyncPeriod = TimeSpan.Zero },
            TimeProvider.System, NullLoggerFactory.Instance, new InformerMetrics(meters));
        var controller = new Controller<ECSCluster>($"test-{name}", informer, new Recorder(name, reconciledBy), new ControllerOptions { Workers = 1 },
            TimeProvider.System, meters, new ControllerMetrics(meters), NullLoggerFactory.Instance, tracker);
        var election = new LeaderElection(bed.Emulator.CreateClient(), new LeaderElectionOptions
        {
            Identity = name,
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        }, NullLogger<LeaderElection>.Instance);
        var lifetime = new FakeLifetime();
        return (new ControllerManager([informer], [controller], election, lifetime, NullLogger<ControllerManager>.Instance), lifetime);
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
