using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Operator.Core.Leadership;
using Operator.Core.Runtime;
using Operator.Core.Text;

namespace Operator.Core.Supervision;

/// <summary>
/// One flat supervisor over every runnable: the informers and the support runnables (the Event sender) on every
/// replica, the leader elector, and the leader-only runnables (controllers, drift scanner; on every replica when leader
/// election is off).
/// Guarantees:
/// <list type="bullet">
/// <item>Any runnable that faults, or returns while the host is not stopping, stops the host at once with exit code 1
/// and a Critical log naming it; from that moment <see cref="Failure"/> is set and <see cref="IsHealthy"/> is false
/// (<c>/healthz</c> fails). Each runnable is watched on its own, so one dying is noticed while the others still run.
/// A lost Lease is such a failure too (the elector has already aborted the leader's work).</item>
/// <item>Given an <see cref="ApiServerWait"/> (the host always gives one), start-up waits for the API server instead of
/// failing: no informer, elector or controller starts before it answers.</item>
/// <item>Leader-only runnables start only once every informer has synced: they all read the caches of every kind,
/// so none reconciles half-blind. An informer that cannot list keeps them waiting and is named by
/// <see cref="ReadinessReport"/> (<c>/readyz</c>).</item>
/// <item>On shutdown the leader-only runnables are asked to drain; the Lease is released after they have returned;
/// the support runnables are asked to stop last, once everything else has returned.</item>
/// </list>
/// The caller must attach every informer handler before <see cref="BackgroundService.StartAsync"/> (the host applies
/// its <c>InformerWiring</c> before it constructs the manager).
/// </summary>
internal sealed class ControllerManager(
    IEnumerable<ISyncingRunnable> informers,
    IEnumerable<IRunnable> leaderRunnables,
    LeaderElection? leaderElection,
    IHostApplicationLifetime lifetime,
    ILogger<ControllerManager> logger,
    ApiServerWait? apiServer = null,
    Events.IEventRecorder? events = null,
    IEnumerable<ISupportRunnable>? support = null,
    TimeProvider? time = null) : BackgroundService
{
    private static readonly TimeSpan SyncPoll = TimeSpan.FromMilliseconds(100);

    private readonly IReadOnlyList<ISyncingRunnable> _informers = [.. informers];
    private readonly IReadOnlyList<IRunnable> _leaderRunnables = [.. leaderRunnables];
    private readonly IReadOnlyList<ISupportRunnable> _support = [.. support ?? []];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private string? _failure;
    private volatile bool _leaderWorkStarted;
    private CancellationToken _hostStopping;

    /// <summary>An informer whose watch has been failing this long is reported by <see cref="ReadinessReport"/>.</summary>
    public static readonly TimeSpan WatchDownThreshold = TimeSpan.FromSeconds(30);

    public bool IsReady => _informers.All(i => i.HasSynced);

    /// <summary>
    /// Null when every informer has synced and watches; else one line per informer that has not synced (with its last
    /// list error) or whose watch has been failing for longer than <see cref="WatchDownThreshold"/> (its cache no
    /// longer follows the server, so changes wait).
    /// </summary>
    public string? ReadinessReport
    {
        get
        {
            var lines = _informers
                .Select(i => !i.HasSynced ? $"{i.Name}: not synced{(i.SyncError is { } e ? $" ({e})" : "")}"
                    : i.WatchDownFor > WatchDownThreshold ? $"{i.Name}: watch down for {i.WatchDownFor.TotalSeconds:0} s" : null)
                .Where(l => l is not null)
                .ToList();
            return lines.Count == 0 ? null : string.Join('\n', lines);
        }
    }

    public bool IsHealthy => Failure is null;

    /// <summary>The first fatal failure ("component: reason"); null while healthy.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    public bool IsLeader => leaderElection is null || leaderElection.IsLeader;

    /// <summary>True once the leader-only runnables have been started (every informer had synced).</summary>
    public bool LeaderWorkStarted => _leaderWorkStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _hostStopping = stoppingToken;
        if (apiServer is not null && !await apiServer.WaitAsync(stoppingToken).ConfigureAwait(false))
        {
            return;
        }
        using var stopSupport = new CancellationTokenSource();
        var support = _support.Select(s => Supervise(s.Name, () => s.RunAsync(stopSupport.Token), stopSupport.Token)).ToList();
        var running = _informers.Select(i => Supervise(i.Name, () => i.RunAsync(stoppingToken), stoppingToken)).ToList();
        running.Add(leaderElection is null
            ? Supervise("leader-work", () => RunLeaderWorkAsync(stoppingToken, CancellationToken.None), stoppingToken)
            : Supervise(leaderElection.Name, () => RunElectionAsync(leaderElection, stoppingToken), stoppingToken));
        await Task.WhenAll(running).ConfigureAwait(false);
        await stopSupport.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(support).ConfigureAwait(false);
    }

    private async Task RunElectionAsync(LeaderElection election, CancellationToken ct)
    {
        var outcome = await election.RunAsync(RunLeaderWorkAsync, ct).ConfigureAwait(false);
        if (outcome == LeadershipOutcome.Lost)
        {
            throw new LeadershipLostException();
        }
    }

    private async Task RunLeaderWorkAsync(CancellationToken stop, CancellationToken abort)
    {
        if (!await WaitForInformersAsync(stop).ConfigureAwait(false))
        {
            return;
        }
        _leaderWorkStarted = true;
        // From now on this replica records the Events: those of objects created before may repeat an earlier leader's.
        events?.BeginRecording((time ?? TimeProvider.System).GetUtcNow());
        var running = _leaderRunnables.Select(r => Supervise(r.Name, () => r is IDrainingRunnable d ? d.RunAsync(stop, abort) : r.RunAsync(stop), stop));
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task<bool> WaitForInformersAsync(CancellationToken ct)
    {
        string? reported = null;
        while (!IsReady)
        {
            var waiting = string.Join(", ", _informers.Where(i => !i.HasSynced).Select(i => i.Name));
            if (waiting != reported)
            {
                reported = waiting;
                logger.LogInformation("Waiting for {Informers} to sync before starting {Runnables}",
                    waiting, string.Join(", ", _leaderRunnables.Select(r => r.Name)));
            }
            try
            {
                await Task.Delay(SyncPoll, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        logger.LogInformation("Every informer has synced; starting {Runnables}", string.Join(", ", _leaderRunnables.Select(r => r.Name)));
        return true;
    }

    /// <summary>Runs one runnable; never throws. A fault, or a return while <paramref name="stopping"/> is not cancelled, is fatal.</summary>
    private async Task Supervise(string name, Func<Task> run, CancellationToken stopping)
    {
        try
        {
            await run().ConfigureAwait(false);
            if (!stopping.IsCancellationRequested && !_hostStopping.IsCancellationRequested)
            {
                Fail(name, "returned while the operator was running");
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || _hostStopping.IsCancellationRequested)
        {
        }
        catch (LeadershipLostException e)
        {
            Fail(name, e.Message);
        }
        catch (Exception e)
        {
            Fail(name, $"{e.GetType().Name}: {ExceptionText.SafeMessage(e.Message)}", e);
        }
    }

    /// <summary>Records the first failure and stops the host; the exception, when there is one, is logged with its stack.</summary>
    private void Fail(string component, string reason, Exception? exception = null)
    {
        var text = $"{component}: {reason}";
        if (Interlocked.CompareExchange(ref _failure, text, null) is null)
        {
            logger.LogCritical(exception, "{Component} failed: {Reason}; stopping the operator with exit code 1", component, reason);
        }
        else
        {
            logger.LogError(exception, "{Component} failed after the operator began stopping: {Reason}", component, reason);
        }
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    private sealed class LeadershipLostException() : Exception("leader election lost");
}
