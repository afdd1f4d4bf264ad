using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Runtime;
using Operator.Tests.Support;

namespace Operator.Tests.Engine;

/// <summary>A component that dies must take the process down (exit code 1), never leave it running silently.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ControllerManagerTests
{
    [TearDown]
    public void RestoreExitCode() => Environment.ExitCode = 0;

    [Test]
    public async Task A_dead_informer_stops_the_host_with_exit_code_1()
    {
        var lifetime = new StopRecorder();
        var informer = new Component("informer/ecsclusters", _ => throw new InvalidOperationException("watch decoder bug"));
        var manager = new ControllerManager([informer], [], null, lifetime, NullLogger<ControllerManager>.Instance);

        await manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => lifetime.Stopped, "the host to be stopped");

        Environment.ExitCode.Should().Be(1);
        await manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_controller_that_returns_while_the_host_runs_stops_the_host()
    {
        var lifetime = new StopRecorder();
        var healthy = new Component("informer/awsproviders", ct => Task.Delay(Timeout.Infinite, ct));
        var quitter = new Component("ecscluster", _ => Task.CompletedTask);
        var manager = new ControllerManager([healthy], [quitter], null, lifetime, NullLogger<ControllerManager>.Instance);

        await manager.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => lifetime.Stopped, "the host to be stopped");

        Environment.ExitCode.Should().Be(1);
        await manager.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_normal_shutdown_is_not_a_failure()
    {
        var lifetime = new StopRecorder();
        var informer = new Component("informer/ecsclusters", ct => Task.Delay(Timeout.Infinite, ct));
        var manager = new ControllerManager([informer], [], null, lifetime, NullLogger<ControllerManager>.Instance);

        await manager.StartAsync(CancellationToken.None);
        await manager.StopAsync(CancellationToken.None);

        lifetime.Stopped.Should().BeFalse();
        Environment.ExitCode.Should().Be(0);
    }

    private sealed class Component(string name, Func<CancellationToken, Task> run) : ISyncingRunnable
    {
        public string Name => name;
        public bool HasSynced => true;
        public Task RunAsync(CancellationToken ct) => run(ct);
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
