using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Kubernetes;

namespace Operator.Core.Leadership;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics (our own implementation: the
/// KubernetesClient's elector gives up on the first failed request, and writes back the Lease it read).
/// Guarantees:
/// <list type="bullet">
/// <item>Every write carries only what this replica owns: a new Lease is created from scratch; taking, renewing and
/// releasing one is a merge patch of <c>spec</c> with the read <c>resourceVersion</c> as precondition. Nothing the
/// server owns (<c>managedFields</c>, other managers' labels or annotations) is ever sent back.</item>
/// <item>Acquiring retries every retry period (with up to 20 % jitter) for ever, whatever the error (connection
/// refused, time-outs, 429, 5xx, 403): a standby never gives up, and never stops the process. A Lease held by someone
/// else is taken only when its record has not changed for its leaseDurationSeconds as observed on this replica's
/// monotonic clock, or when its holder is empty (released). A replica that finds no Lease creates it, but starts its
/// work only one lease duration later (renewing meanwhile): a Lease deleted by hand may still have a leader that has
/// not noticed, and that leader stops within its renew deadline, which is shorter.</item>
/// <item>While leading, the Lease is renewed every retry period. A transient failure (connection refused or reset,
/// a time-out, 401/403 while the apiserver loads its authorizer, 409, 429, 5xx) is retried every retry period until
/// <see cref="LeaderElectionOptions.RenewDeadline"/> has passed, on the monotonic clock, since the last successful
/// renewal was sent. Leadership is lost — the work's abort token is cancelled at once and <see cref="RunAsync"/>
/// returns <see cref="LeadershipOutcome.Lost"/> — when that deadline passes, when the Lease names another holder or
/// is gone, and on any failure that is not transient (a bug included): the renew path never dies silently. Because
/// the renew deadline is shorter than the lease duration, the old leader has aborted its work before any standby
/// may take the Lease, whatever the wall clock does.</item>
/// <item>When <c>ct</c> is cancelled (SIGTERM), the work's stop token is cancelled, the Lease keeps being renewed while
/// the work drains, and once the work has returned the Lease is released as client-go's ReleaseOnCancel does
/// (holderIdentity cleared, leaseDurationSeconds 1), so a standby takes over within about one retry period.</item>
/// </list>
/// The caller must bound the work's drain (the host clamps it to the lease duration) and must stop the process on
/// <see cref="LeadershipOutcome.Lost"/>, as controller-runtime does: a replica that lost the Lease cannot know what
/// the new leader has done. After a loss, <see cref="RunAsync"/> waits at most <see cref="AbortGrace"/> for the
/// aborted work to return.
/// </summary>
internal sealed class LeaderElection
{
    /// <summary>How long a lost leader waits for its aborted work before returning anyway (the process then exits).</summary>
    public static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);

    private static readonly string FieldManager = OperatorIdentity.FieldManager;

    private readonly IKubernetes _client;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaderElection> _logger;
    private volatile bool _isLeader;
    private ObservedRecord? _observed;

    public LeaderElection(IKubernetes client, LeaderElectionOptions options, TimeProvider time, ILogger<LeaderElection> logger)
    {
        _client = client;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public bool IsLeader => _isLeader;

    public string Name => $"leader-election/{_options.LeaseNamespace}/{_options.LeaseName}";

    public LeaderElectionOptions Options => _options;

    /// <summary>
    /// Acquires the Lease, then runs <paramref name="work"/>(stop, abort) while leading. <c>stop</c> asks the work to
    /// finish (drain) and is cancelled by <paramref name="ct"/> or a lost Lease; <c>abort</c> is cancelled only by a
    /// lost Lease and means "stop touching anything now". Faults of the work propagate.
    /// </summary>
    public async Task<LeadershipOutcome> RunAsync(Func<CancellationToken, CancellationToken, Task> work, CancellationToken ct)
    {
        var acquired = await AcquireAsync(ct).ConfigureAwait(false);
        if (acquired is not var (fence, sentAt))
        {
            return LeadershipOutcome.Cancelled;
        }
        using var lost = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lost.Token);
        using var stopRenewing = new CancellationTokenSource();
        var renewal = GuardedRenewLoopAsync(lost, sentAt, stopRenewing.Token);
        if (fence > TimeSpan.Zero && !await FenceAsync(fence, stop.Token).ConfigureAwait(false))
        {
            // Stopped or lost before the fence was over: no work ever ran.
            await stopRenewing.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            if (lost.IsCancellationRequested)
            {
                return LeadershipOutcome.Lost;
            }
            await ReleaseAsync().ConfigureAwait(false);
            return LeadershipOutcome.Cancelled;
        }
        _isLeader = !lost.IsCancellationRequested;
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
            // Lost: the renew loop has already cancelled the abort token. Let the work let go, within a bound.
            _isLeader = false;
            await QuietlyWithin(workTask, AbortGrace).ConfigureAwait(false);
            return LeadershipOutcome.Lost;
        }
        await stopRenewing.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        if (lost.IsCancellationRequested)
        {
            _isLeader = false;
            await QuietlyWithin(workTask, AbortGrace).ConfigureAwait(false);
            return LeadershipOutcome.Lost;
        }
        await ReleaseAsync().ConfigureAwait(false);
        await workTask.ConfigureAwait(false); // a fault of the work is the caller's to report
        return ct.IsCancellationRequested ? LeadershipOutcome.Cancelled : LeadershipOutcome.Released;
    }

    /// <summary>Holds a Lease this replica created for <paramref name="fence"/> before the work may start; false if stopped or lost first.</summary>
    private async Task<bool> FenceAsync(TimeSpan fence, CancellationToken stop)
    {
        _logger.LogInformation("Created Lease {Namespace}/{Name}; starting work in {Fence}, once any replica that led under a deleted Lease has stopped",
            _options.LeaseNamespace, _options.LeaseName, fence);
        try
        {
            await Task.Delay(fence, _time, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Null when cancelled; else how long to hold the Lease before working (non-zero only when this replica created it)
    /// and when the winning request was sent (the renew deadline counts from then, not from its answer).
    /// </summary>
    private async Task<(TimeSpan Fence, long SentAt)?> AcquireAsync(CancellationToken ct)
    {
        _logger.LogInformation("Waiting to acquire Lease {Namespace}/{Name} as {Identity}", _options.LeaseNamespace, _options.LeaseName, _options.Identity);
        string? lastHolder = null;
        string? lastError = null;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.RenewDeadline, _time);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                var sent = _time.GetTimestamp();
                var result = await TryAcquireOrRenewAsync(leading: false, attempt.Token).ConfigureAwait(false);
                failures = 0;
                lastError = null;
                if (result.Acquired)
                {
                    _logger.LogInformation("Acquired Lease {Namespace}/{Name} as {Identity}", _options.LeaseNamespace, _options.LeaseName, _options.Identity);
                    return (result.Created ? _options.LeaseDuration : TimeSpan.Zero, sent);
                }
                if (result.Holder != lastHolder)
                {
                    lastHolder = result.Holder;
                    _logger.LogInformation("Current leader: {Leader}", result.Holder);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e)
            {
                // A standby retries for ever: an unreachable API server is the normal state during its restart. An
                // error no retry can fix is logged as an error each time it changes, never swallowed.
                failures++;
                var transient = IsTransient(e);
                var described = Describe(e);
                var level = !transient ? (described == lastError ? LogLevel.Debug : LogLevel.Error)
                    : failures == 1 ? LogLevel.Warning : LogLevel.Debug;
                lastError = described;
                _logger.Log(level, "Acquiring Lease {Namespace}/{Name} failed ({Error}); retrying every {RetryPeriod}",
                    _options.LeaseNamespace, _options.LeaseName, described, _options.RetryPeriod);
            }
            try
            {
                await Task.Delay(Jittered(_options.RetryPeriod), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The renew loop, with any fault it did not expect turned into a lost Lease: it never ends silently.</summary>
    private async Task GuardedRenewLoopAsync(CancellationTokenSource lost, long acquiredSentAt, CancellationToken stopRenewing)
    {
        try
        {
            await RenewLoopAsync(lost, acquiredSentAt, stopRenewing).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Lose(lost, $"the renew loop failed ({Describe(e)})");
        }
    }

    /// <summary>Renews until <paramref name="stopRenewing"/>; returns early only when leadership is lost (after cancelling <paramref name="lost"/>).</summary>
    private async Task RenewLoopAsync(CancellationTokenSource lost, long acquiredSentAt, CancellationToken stopRenewing)
    {
        var lastRenewSent = acquiredSentAt;
        while (!stopRenewing.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.RetryPeriod, _time, stopRenewing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var failures = 0;
            while (true)
            {
                var remaining = _options.RenewDeadline - _time.GetElapsedTime(lastRenewSent);
                if (remaining <= TimeSpan.Zero)
                {
                    Lose(lost, $"no successful renewal within the renew deadline of {_options.RenewDeadline}");
                    return;
                }
                var sent = _time.GetTimestamp();
                try
                {
                    using var timeout = new CancellationTokenSource(remaining, _time);
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopRenewing, timeout.Token);
                    var result = await TryAcquireOrRenewAsync(leading: true, attempt.Token).ConfigureAwait(false);
                    if (result.Acquired)
                    {
                        lastRenewSent = sent;
                        if (failures > 0)
                        {
                            _logger.LogInformation("Renewed Lease {Namespace}/{Name} after {Failures} failed attempts", _options.LeaseNamespace, _options.LeaseName, failures);
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
                catch (Exception e) when (IsTransient(e))
                {
                    failures++;
                    _logger.LogWarning("Renewing Lease {Namespace}/{Name} failed ({Error}); retrying every {RetryPeriod} for {Remaining} more",
                        _options.LeaseNamespace, _options.LeaseName, Describe(e), _options.RetryPeriod,
                        _options.RenewDeadline - _time.GetElapsedTime(lastRenewSent));
                }
                catch (Exception e)
                {
                    Lose(lost, $"renewing failed with an error no retry can fix ({Describe(e)})");
                    return;
                }
                var wait = Min(_options.RetryPeriod, _options.RenewDeadline - _time.GetElapsedTime(lastRenewSent));
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, _time, stopRenewing).ConfigureAwait(false);
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
        _logger.LogError("Lost leadership of Lease {Namespace}/{Name}: {Reason}; cancelling in-flight work",
            _options.LeaseNamespace, _options.LeaseName, reason);
        lost.Cancel();
    }

    /// <summary>One read and at most one write of the Lease, as client-go's tryAcquireOrRenew.</summary>
    private async Task<Attempt> TryAcquireOrRenewAsync(bool leading, CancellationToken ct)
    {
        var leases = _client.CoordinationV1;
        V1Lease? lease;
        try
        {
            lease = await leases.ReadNamespacedLeaseAsync(_options.LeaseName, _options.LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            lease = null;
        }
        var now = _time.GetUtcNow().UtcDateTime;
        var observedAt = _time.GetTimestamp();
        if (lease is null)
        {
            if (leading)
            {
                return new Attempt(false, "nobody (the Lease was deleted)");
            }
            V1Lease created;
            try
            {
                created = await leases.CreateNamespacedLeaseAsync(new V1Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new V1ObjectMeta { Name = _options.LeaseName, NamespaceProperty = _options.LeaseNamespace },
                    Spec = new V1LeaseSpec
                    {
                        HolderIdentity = _options.Identity,
                        LeaseDurationSeconds = LeaseSeconds,
                        AcquireTime = now,
                        RenewTime = now,
                        LeaseTransitions = 0,
                    },
                }, _options.LeaseNamespace, fieldManager: FieldManager, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Another replica created it first (409 AlreadyExists): read it again next time, as a standby.
                throw new LeaseConflictException();
            }
            Observe(created, observedAt);
            return new Attempt(true, _options.Identity, Created: true);
        }

        var spec = lease.Spec ?? new V1LeaseSpec();
        Observe(lease, observedAt);
        var holder = spec.HolderIdentity;
        var ours = holder == _options.Identity;
        if (leading && !ours)
        {
            return new Attempt(false, string.IsNullOrEmpty(holder) ? "nobody" : holder);
        }
        if (!ours && !string.IsNullOrEmpty(holder)
            && _time.GetElapsedTime(_observed!.ObservedAt) < TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? 0))
        {
            return new Attempt(false, holder);
        }
        var write = ours
            ? SpecPatch(_options.Identity, LeaseSeconds, spec.AcquireTime ?? now, now, spec.LeaseTransitions ?? 0)
            : SpecPatch(_options.Identity, LeaseSeconds, now, now, (spec.LeaseTransitions ?? 0) + 1);
        var updated = await PatchAsync(lease, write, ct).ConfigureAwait(false);
        Observe(updated, observedAt);
        return new Attempt(true, _options.Identity);
    }

    /// <summary>Gives the Lease up, as client-go's ReleaseOnCancel: best effort, bounded by the renew deadline.</summary>
    private async Task ReleaseAsync()
    {
        _isLeader = false;
        using var timeout = new CancellationTokenSource(_options.RenewDeadline, _time);
        try
        {
            var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.LeaseNamespace, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != _options.Identity)
            {
                return;
            }
            var now = _time.GetUtcNow().UtcDateTime;
            await PatchAsync(lease, SpecPatch("", 1, now, now, lease.Spec.LeaseTransitions ?? 0), timeout.Token).ConfigureAwait(false);
            _logger.LogInformation("Released Lease {Namespace}/{Name}", _options.LeaseNamespace, _options.LeaseName);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or IOException or LeaseConflictException)
        {
            _logger.LogWarning("Could not release Lease {Namespace}/{Name} ({Error}); a standby takes over when it expires",
                _options.LeaseNamespace, _options.LeaseName, Describe(e));
        }
    }

    /// <summary>A merge patch of the Lease's spec, valid only against the resourceVersion that was read (409 otherwise).</summary>
    private async Task<V1Lease> PatchAsync(V1Lease read, JsonObject spec, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = read.Metadata.ResourceVersion },
            ["spec"] = spec,
        };
        try
        {
            return await _client.CoordinationV1.PatchNamespacedLeaseAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch),
                _options.LeaseName, _options.LeaseNamespace, fieldManager: FieldManager, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Someone wrote the Lease since we read it: read again next time (a renewal retries until its deadline).
            throw new LeaseConflictException();
        }
    }

    private int LeaseSeconds => (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds);

    private static JsonObject SpecPatch(string holder, int durationSeconds, DateTime acquired, DateTime renewed, int transitions) => new()
    {
        ["holderIdentity"] = holder,
        ["leaseDurationSeconds"] = durationSeconds,
        ["acquireTime"] = MicroTime(acquired),
        ["renewTime"] = MicroTime(renewed),
        ["leaseTransitions"] = transitions,
    };

    /// <summary>metav1.MicroTime: RFC 3339 in UTC with exactly six fraction digits.</summary>
    private static string MicroTime(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value).ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Remembers when the record last changed, on the monotonic clock (client-go's observedTime): expiry is judged from it.</summary>
    private void Observe(V1Lease lease, long observedAt)
    {
        var spec = lease.Spec;
        var record = new ObservedRecord(spec?.HolderIdentity, spec?.RenewTime, spec?.AcquireTime, spec?.LeaseTransitions, observedAt);
        if (_observed is null || _observed with { ObservedAt = observedAt } != record)
        {
            _observed = record;
        }
    }

    /// <summary>
    /// What a retry can fix: the server unreachable, slow, overloaded or restarting (refused, reset, time-out, 429,
    /// 5xx, 401/403 while its authenticator and authorizer load), or a concurrent write of the Lease (409).
    /// </summary>
    private static bool IsTransient(Exception e) => e switch
    {
        LeaseConflictException => true,
        HttpOperationException h => h.Response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || (int)h.Response.StatusCode >= 500,
        HttpRequestException or IOException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"HTTP {(int)h.Response.StatusCode} {h.Response.ReasonPhrase}",
        OperationCanceledException => "timed out",
        LeaseConflictException c => c.Message,
        _ => $"{e.GetType().Name}: {e.GetBaseException().Message}",
    };

    private static TimeSpan Jittered(TimeSpan period) => period * (1 + (Random.Shared.NextDouble() * 0.2));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task QuietlyWithin(Task task, TimeSpan bound)
    {
        try
        {
            await task.WaitAsync(bound, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogError("The aborted work did not return within {Bound}; stopping anyway", bound);
        }
        catch (Exception)
        {
            // Leadership is lost; the caller stops the process and reports that, not the work's cancellation.
        }
    }

    private sealed record Attempt(bool Acquired, string? Holder, bool Created = false);

    private sealed record ObservedRecord(string? Holder, DateTime? RenewTime, DateTime? AcquireTime, int? Transitions, long ObservedAt);

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
