using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace Operator.Core.Leadership;

/// <summary>
/// Runs <c>work</c> only while this replica holds the Lease (KubernetesClient's <see cref="LeaderElector"/> on a
/// coordination.k8s.io/v1 Lease). When leadership is lost the work's token is cancelled and
/// <see cref="RunAsync"/> returns <see cref="LeadershipOutcome.Lost"/>: the caller must then stop the process, as
/// controller-runtime does, because a replica that lost the Lease cannot know what the new leader has done.
/// </summary>
internal sealed class LeaderElection(IKubernetes client, LeaderElectionOptions options, ILogger<LeaderElection> logger)
{
    public bool IsLeader { get; private set; }

    public async Task<LeadershipOutcome> RunAsync(Func<CancellationToken, Task> work, CancellationToken ct)
    {
        var leaseLock = new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity);
        var config = new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        };
        using var elector = new LeaderElector(config);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        elector.OnStartedLeading += () =>
        {
            IsLeader = true;
            logger.LogInformation("Became leader on Lease {Namespace}/{Name} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
            started.TrySetResult();
        };
        elector.OnStoppedLeading += () =>
        {
            IsLeader = false;
            logger.LogWarning("Lost leadership of Lease {Namespace}/{Name}", options.LeaseNamespace, options.LeaseName);
            leading.Cancel();
        };
        elector.OnNewLeader += leader => logger.LogInformation("Current leader: {Leader}", leader);
        elector.OnError += e => logger.LogWarning("Leader election error: {Error}", e.Message);

        // RunUntilLeadershipLostAsync returns once leadership, having been acquired, is lost (or on cancellation).
        var election = elector.RunUntilLeadershipLostAsync(leading.Token);
        var first = await Task.WhenAny(started.Task, election).ConfigureAwait(false);
        if (first == election)
        {
            await SwallowCancellation(election).ConfigureAwait(false);
            return LeadershipOutcome.Cancelled;
        }
        var workTask = work(leading.Token);
        var done = await Task.WhenAny(workTask, election).ConfigureAwait(false);
        await leading.CancelAsync().ConfigureAwait(false);
        if (done == workTask && workTask.IsFaulted)
        {
            await SwallowCancellation(election).ConfigureAwait(false);
            await workTask.ConfigureAwait(false); // the work's own failure is fatal, not a leadership change
        }
        await SwallowCancellation(workTask).ConfigureAwait(false);
        await SwallowCancellation(election).ConfigureAwait(false);
        IsLeader = false;
        return ct.IsCancellationRequested ? LeadershipOutcome.Cancelled : LeadershipOutcome.Lost;
    }

    private static async Task SwallowCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

internal enum LeadershipOutcome
{
    Cancelled,
    Lost,
}
