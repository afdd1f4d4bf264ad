using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Operator.Core.Leadership;

namespace Operator.Core.Runtime;

/// <summary>
/// Runs the informers on every replica and the controllers only on the leader (or on every replica when leader
/// election is off). Never goes silent: an informer or controller that stops or faults while the host is running,
/// and a lost leadership, stop the whole process with exit code 1 so that Kubernetes restarts it.
/// <see cref="IsReady"/> is true once every informer has synced.
/// </summary>
internal sealed class ControllerManager(
    IEnumerable<ISyncingRunnable> informers,
    IEnumerable<IRunnable> controllers,
    LeaderElection? leaderElection,
    IHostApplicationLifetime lifetime,
    ILogger<ControllerManager> logger) : BackgroundService
{
    private readonly IReadOnlyList<ISyncingRunnable> informers = [.. informers];
    private readonly IReadOnlyList<IRunnable> controllers = [.. controllers];

    public bool IsReady => informers.All(i => i.HasSynced);

    public bool IsLeader => leaderElection is null || leaderElection.IsLeader;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = informers.Select(i => Watch(i.Name, () => i.RunAsync(stoppingToken))).ToList();
        running.Add(RunControllersAsync(stoppingToken));
        var first = await Task.WhenAny(running).ConfigureAwait(false);
        if (!stoppingToken.IsCancellationRequested)
        {
            Fail(first.Exception?.InnerException?.Message ?? "a component stopped unexpectedly");
        }
        await Task.WhenAll(running.Select(SwallowAsync)).ConfigureAwait(false);
    }

    private async Task RunControllersAsync(CancellationToken ct)
    {
        if (leaderElection is null)
        {
            await RunAllAsync(ct).ConfigureAwait(false);
            return;
        }
        var outcome = await leaderElection.RunAsync(RunAllAsync, ct).ConfigureAwait(false);
        if (outcome == LeadershipOutcome.Lost)
        {
            Fail("leader election lost");
        }
    }

    private Task RunAllAsync(CancellationToken ct) =>
        Task.WhenAll(controllers.Select(c => Watch(c.Name, () => c.RunAsync(ct))));

    /// <summary>Runs a component; a synchronous throw is caught like an asynchronous fault.</summary>
    private async Task Watch(string name, Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogCritical("{Component} failed: {ErrorType}: {Message}", name, e.GetType().Name, e.Message);
            throw;
        }
    }

    private void Fail(string reason)
    {
        logger.LogCritical("Stopping the operator: {Reason}", reason);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    private static async Task SwallowAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already reported by Watch/Fail; shutting down.
        }
    }
}
