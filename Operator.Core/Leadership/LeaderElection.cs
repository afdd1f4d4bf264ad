using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Operator.Core.Leadership;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics (our own implementation: the
/// KubernetesClient's elector gives up on the first failed request).
/// Guarantees:
/// <list type="bullet">
/// <item>Acquiring retries every retry period (with up to 20 % jitter) for ever, whatever the error (connection refused,
/// time-outs, 429, 5xx, 403): a standby never gives up. A Lease held by someone else is taken only when its record has
/// not changed for its leaseDurationSeconds as observed by this replica's clock, or when its holder is empty (released).</item>
/// <item>While leading, the Lease is renewed every retry period; a failed renewal is retried every retry period until
/// <see cref="LeaderElectionOptions.RenewDeadline"/> has passed since the last successful renewal was sent. Only then,
/// or as soon as the Lease names another holder, is leadership lost: the work's abort token is cancelled at once and
/// <see cref="RunAsync"/> returns <see cref="LeadershipOutcome.Lost"/>. Because the renew deadline is shorter than the
/// lease duration, the old leader has aborted its work before any standby may take the Lease.</item>
/// <item>When <c>ct</c> is cancelled (SIGTERM), the work's stop token is cancelled, the Lease keeps being renewed while
/// the work drains, and once the work has returned the Lease is released as client-go's ReleaseOnCancel does
/// (holderIdentity cleared, leaseDurationSeconds 1), so a standby takes over within about one retry period.</item>
/// </list>
/// The caller must bound the work's drain (the host clamps it to the lease duration) and must stop the process on
/// <see cref="LeadershipOutcome.Lost"/>, as controller-runtime does: a replica that lost the Lease cannot know what
/// the new leader has done.
/// </summary>
internal sealed class LeaderElection(IKubernetes client, LeaderElectionOptions options, TimeProvider time, ILogger<LeaderElection> logger)
{
    private static readonly string FieldManager = Operator.Core.Kubernetes.OperatorIdentity.FieldManager;

    private volatile bool _isLeader;
    private ObservedRecord? _observed;

    public LeaderElection(IKubernetes client, LeaderElectionOptions options, ILogger<LeaderElection> logger)
        : this(client, options, TimeProvider.System, logger)
    {
    }

    public bool IsLeader => _isLeader;

    public string Name => $"leader-election/{options.LeaseNamespace}/{options.LeaseName}";

    public LeaderElectionOptions Options => options;

    /// <summary>
    /// Acquires the Lease, then runs <paramref name="work"/>(stop, abort) while leading. <c>stop</c> asks the work to
    /// finish (drain) and is cancelled by <paramref name="ct"/> or a lost Lease; <c>abort</c> is cancelled only by a
    /// lost Lease and means "stop touching anything now". Faults of the work propagate.
    /// </summary>
    public async Task<LeadershipOutcome> RunAsync(Func<CancellationToken, CancellationToken, Task> work, CancellationToken ct)
    {
        if (!await AcquireAsync(ct).ConfigureAwait(false))
        {
            return LeadershipOutcome.Cancelled;
        }
        using var lost = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lost.Token);
        using var stopRenewing = new CancellationTokenSource();
        var renewal = RenewLoopAsync(lost, stopRenewing.Token);
        Task workTask;
        try
        {
            workTask = work(stop.Token, lost.Token);
        }
        catch (Exception e)
        {
            workTask = Task.FromException(e);
        }
        var first = await Task.WhenAny(workTask, renewal).ConfigureAwait(false);
        if (first == renewal)
        {
            // Lost: the renew loop has already cancelled the abort token. Wait for the work to let go before returning.
            _isLeader = false;
            await Quietly(workTask).ConfigureAwait(false);
            return LeadershipOutcome.Lost;
        }
        await stopRenewing.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        if (lost.IsCancellationRequested)
        {
            _isLeader = false;
            await Quietly(workTask).ConfigureAwait(false);
            return LeadershipOutcome.Lost;
        }
        await ReleaseAsync().ConfigureAwait(false);
        await workTask.ConfigureAwait(false); // a fault of the work is the caller's to report
        return ct.IsCancellationRequested ? LeadershipOutcome.Cancelled : LeadershipOutcome.Released;
    }

    private async Task<bool> AcquireAsync(CancellationToken ct)
    {
        logger.LogInformation("Waiting to acquire Lease {Namespace}/{Name} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
        string? lastHolder = null;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(options.RenewDeadline);
                var result = await TryAcquireOrRenewAsync(leading: false, attempt.Token).ConfigureAwait(false);
                failures = 0;
                if (result.Acquired)
                {
                    _isLeader = true;
                    logger.LogInformation("Became leader on Lease {Namespace}/{Name} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
                    return true;
                }
                if (result.Holder != lastHolder)
                {
                    lastHolder = result.Holder;
                    logger.LogInformation("Current leader: {Leader}", result.Holder);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (IsRetriable(e, ct))
            {
                // A standby retries for ever: an unreachable API server is the normal state during its restart.
                failures++;
                logger.Log(failures == 1 ? LogLevel.Warning : LogLevel.Debug,
                    "Acquiring Lease {Namespace}/{Name} failed ({Error}); retrying every {RetryPeriod}",
                    options.LeaseNamespace, options.LeaseName, Describe(e), options.RetryPeriod);
            }
            try
            {
                await Task.Delay(Jittered(options.RetryPeriod), time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>Renews until <paramref name="stopRenewing"/>; returns early only when leadership is lost (after cancelling <paramref name="lost"/>).</summary>
    private async Task RenewLoopAsync(CancellationTokenSource lost, CancellationToken stopRenewing)
    {
        var lastRenewSent = time.GetUtcNow();
        while (!stopRenewing.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.RetryPeriod, time, stopRenewing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var failures = 0;
            while (true)
            {
                var remaining = lastRenewSent + options.RenewDeadline - time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    Lose(lost, $"no successful renewal within the renew deadline of {options.RenewDeadline}");
                    return;
                }
                var sent = time.GetUtcNow();
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopRenewing);
                    attempt.CancelAfter(remaining);
                    var result = await TryAcquireOrRenewAsync(leading: true, attempt.Token).ConfigureAwait(false);
                    if (result.Acquired)
                    {
                        lastRenewSent = sent;
                        if (failures > 0)
                        {
                            logger.LogInformation("Renewed Lease {Namespace}/{Name} after {Failures} failed attempts", options.LeaseNamespace, options.LeaseName, failures);
                        }
                        break;
                    }
                    Lose(lost, $"the Lease is now held by {result.Holder}");
                    return;
                }
                catch (OperationCanceledException) when (stopRenewing.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (IsRetriable(e, stopRenewing))
                {
                    failures++;
                    logger.LogWarning("Renewing Lease {Namespace}/{Name} failed ({Error}); retrying every {RetryPeriod} until {Deadline:O}",
                        options.LeaseNamespace, options.LeaseName, Describe(e), options.RetryPeriod, lastRenewSent + options.RenewDeadline);
                }
                var wait = Min(options.RetryPeriod, lastRenewSent + options.RenewDeadline - time.GetUtcNow());
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, time, stopRenewing).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
    }

    private void Lose(CancellationTokenSource lost, string reason)
    {
        _isLeader = false;
        logger.LogError("Lost leadership of Lease {Namespace}/{Name}: {Reason}; cancelling in-flight work",
            options.LeaseNamespace, options.LeaseName, reason);
        lost.Cancel();
    }

    /// <summary>One read-modify-write of the Lease, as client-go's tryAcquireOrRenew.</summary>
    private async Task<Attempt> TryAcquireOrRenewAsync(bool leading, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var leases = client.CoordinationV1;
        V1Lease? lease;
        try
        {
            lease = await leases.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            lease = null;
        }
        if (lease is null)
        {
            if (leading)
            {
                return new Attempt(false, "nobody (the Lease was deleted)");
            }
            var created = await leases.CreateNamespacedLeaseAsync(new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
                Spec = NewSpec(now, now, 0),
            }, options.LeaseNamespace, fieldManager: FieldManager, cancellationToken: ct).ConfigureAwait(false);
            Observe(created, now);
            return new Attempt(true, options.Identity);
        }

        var spec = lease.Spec ?? new V1LeaseSpec();
        Observe(lease, now);
        var holder = spec.HolderIdentity;
        var ours = holder == options.Identity;
        if (leading && !ours)
        {
            return new Attempt(false, string.IsNullOrEmpty(holder) ? "nobody" : holder);
        }
        if (!ours && !string.IsNullOrEmpty(holder)
            && _observed!.ObservedAt + TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? 0) > now)
        {
            return new Attempt(false, holder);
        }
        lease.Spec = ours
            ? NewSpec(spec.AcquireTime ?? now, now, spec.LeaseTransitions ?? 0)
            : NewSpec(now, now, (spec.LeaseTransitions ?? 0) + 1);
        try
        {
            var updated = await leases.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace,
                fieldManager: FieldManager, cancellationToken: ct).ConfigureAwait(false);
            Observe(updated, now);
            return new Attempt(true, options.Identity);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Someone wrote the Lease since we read it: read again next time (a renewal retries until its deadline).
            throw new LeaseConflictException();
        }
    }

    /// <summary>Gives the Lease up, as client-go's ReleaseOnCancel: best effort, bounded by the renew deadline.</summary>
    private async Task ReleaseAsync()
    {
        _isLeader = false;
        using var timeout = new CancellationTokenSource(options.RenewDeadline);
        try
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != options.Identity)
            {
                return;
            }
            var now = time.GetUtcNow().UtcDateTime;
            lease.Spec = new V1LeaseSpec
            {
                HolderIdentity = "",
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaseTransitions = lease.Spec.LeaseTransitions ?? 0,
            };
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace,
                fieldManager: FieldManager, cancellationToken: timeout.Token).ConfigureAwait(false);
            logger.LogInformation("Released Lease {Namespace}/{Name}", options.LeaseNamespace, options.LeaseName);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or IOException)
        {
            logger.LogWarning("Could not release Lease {Namespace}/{Name} ({Error}); a standby takes over when it expires",
                options.LeaseNamespace, options.LeaseName, Describe(e));
        }
    }

    private V1LeaseSpec NewSpec(DateTime acquired, DateTime renewed, int transitions) => new()
    {
        HolderIdentity = options.Identity,
        LeaseDurationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds),
        AcquireTime = acquired,
        RenewTime = renewed,
        LeaseTransitions = transitions,
    };

    /// <summary>Remembers when the record last changed, by our clock (client-go's observedTime): expiry is judged from it.</summary>
    private void Observe(V1Lease lease, DateTime now)
    {
        var spec = lease.Spec;
        var record = new ObservedRecord(spec?.HolderIdentity, spec?.RenewTime, spec?.AcquireTime, spec?.LeaseTransitions, now);
        if (_observed is null || _observed with { ObservedAt = now } != record)
        {
            _observed = record;
        }
    }

    private static bool IsRetriable(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested
        && e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException or LeaseConflictException
            or System.Text.Json.JsonException;

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"HTTP {(int)h.Response.StatusCode} {h.Response.ReasonPhrase}",
        OperationCanceledException => "timed out",
        _ => e.GetBaseException().Message,
    };

    private static TimeSpan Jittered(TimeSpan period) => period * (1 + (Random.Shared.NextDouble() * 0.2));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Leadership is lost; the caller stops the process and reports that, not the work's cancellation.
        }
    }

    private sealed record Attempt(bool Acquired, string? Holder);

    private sealed record ObservedRecord(string? Holder, DateTime? RenewTime, DateTime? AcquireTime, int? Transitions, DateTime ObservedAt);

    private sealed class LeaseConflictException() : Exception("the Lease changed since it was read (409)");
}

internal enum LeadershipOutcome
{
    /// <summary>Stopped by the caller's token before or while leading; the Lease was released if held.</summary>
    Cancelled,

    /// <summary>The Lease was lost while leading; the work was aborted.</summary>
    Lost,

    /// <summary>The work returned on its own while the caller's token was not cancelled; the Lease was released.</summary>
    Released,
}
