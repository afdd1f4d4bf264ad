using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Kubernetes;
using Operator.Core.Runtime;

namespace Operator.Core.Events;

/// <summary>
/// core/v1 Events (what <c>kubectl describe</c> shows), deduplicated like client-go's EventCorrelator: an event equal
/// to one recorded for the same object in the last <see cref="AggregationWindow"/> (same type, reason and message, or
/// the same series, see <see cref="IEventRecorder.RecordAsync"/>) is a PATCH of its count and lastTimestamp (and
/// message, for a series), not a new object, also across a restart or a leader change: an event of an object that
/// existed before this replica began the leader's work (<see cref="BeginRecording"/>; before that, before this
/// recorder was made), not yet seen here, is first looked up among the object's Events on the server (objects created
/// since cannot have Events of an earlier leader, so a burst of new objects costs no lookup; the object's
/// creationTimestamp is compared with this replica's clock, which NTP keeps close to the API server's; and the Normal
/// events that end an object's life, <see cref="LifecycleReasons.Final"/>, are never looked up); each object
/// may burst <see cref="SpamBurst"/> events of one reason, then
/// one per <see cref="SpamRefill"/>, and events over that budget are dropped (and logged at debug). Normal lifecycle
/// events (<see cref="Lifecycle"/>) are never dropped: they are what a user looks for after a streak of warnings.
/// The bookkeeping of an object is dropped with <see cref="Forget"/> when the object is deleted.
/// Messages are capped at <see cref="MaxMessageLength"/> characters.
/// Delivery, like client-go's broadcaster: <see cref="RecordAsync"/> only queues (it never waits for the apiserver);
/// one sender writes the queue in order and retries a transient failure (429, 5xx, connection refused, time-out) with
/// back-off, so Events emitted during a short apiserver outage arrive afterwards, with the time they were emitted.
/// The sender is <see cref="RunAsync"/>, run by the supervisor as an <see cref="ISupportRunnable"/>: nothing is sent
/// before it runs (events wait in the queue), and if it dies the process stops (<c>/healthz</c> fails) rather than
/// drop every later Event. When asked to stop it takes no new event and sends what is queued for up to
/// <see cref="EventRecorderOptions.FlushTimeout"/>, then returns.
/// An event is dropped only when the queue holds <see cref="EventRecorderOptions.MaxQueued"/> already or the sender
/// has stopped, when it could not be sent within <see cref="EventRecorderOptions.MaxAge"/>, or when the apiserver
/// rejects it (4xx); each drop is logged and counted in <c>operator_events_dropped_total{reason}</c>.
/// </summary>
internal sealed class EventRecorder : IEventRecorder, ISupportRunnable
{
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    public const int SpamBurst = 25;
    public static readonly TimeSpan SpamRefill = TimeSpan.FromMinutes(5);
    private const int MaxTracked = 8192;
    public const int MaxMessageLength = 1024;

    /// <summary>Normal reasons exempt from the spam budget.</summary>
    public static readonly IReadOnlySet<string> Lifecycle = LifecycleReasons.All;

    private readonly ConcurrentDictionary<string, Recorded> _recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SpamBudget> _budgets = new(StringComparer.Ordinal);
    private readonly string _instance = Environment.MachineName;
    private long _leadingSinceTicks;

    // Names are made when an event is queued, and a burst queues many in one millisecond: a sequence, not a random
    // suffix, keeps them distinct (a clash would be a 409 that the sender takes for its own earlier attempt).
    private int _sequence;
    private readonly IKubernetes _client;
    private readonly TimeProvider _time;
    private readonly ILogger<EventRecorder> _logger;
    private readonly EventRecorderOptions _options;
    private readonly string _component;
    private readonly Channel<PendingEvent> _queue;
    private readonly Counter<long> _dropped;
    private volatile bool _stopped;

    public EventRecorder(
        IKubernetes client, TimeProvider time, ILogger<EventRecorder> logger, IMeterFactory meters,
        EventRecorderOptions? options = null, string component = "infra-operator")
    {
        _client = client;
        _time = time;
        _leadingSinceTicks = time.GetUtcNow().UtcTicks;
        _logger = logger;
        _options = options ?? new EventRecorderOptions();
        _component = component;
        _queue = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions(_options.MaxQueued)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _dropped = meters.Create(Controllers.ControllerMetrics.MeterName).CreateCounter<long>("operator_events_dropped_total",
            description: "Kubernetes Events not recorded, by reason: queue_full, expired (apiserver unreachable too long), rejected.");
        foreach (var reason in new[] { "queue_full", "expired", "rejected" })
        {
            _dropped.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void BeginRecording(DateTimeOffset since) => Interlocked.Exchange(ref _leadingSinceTicks, since.UtcTicks);

    public string Name => "event-recorder";

    /// <summary>Events waiting to be sent (for tests and diagnostics).</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Spam budgets and aggregation records held now (for tests: they follow live objects, see <see cref="Forget"/>).</summary>
    internal (int Budgets, int Recorded) Tracked => (_budgets.Count, _recent.Count);

    /// <summary>Spam budgets held for one object (for tests).</summary>
    internal int BudgetsOf(string uid) => _budgets.Keys.Count(k => k.StartsWith(uid + "|", StringComparison.Ordinal));

    public Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct,
        string? series = null)
    {
        message = Text.ForeignText.Truncate(message, MaxMessageLength);
        var meta = obj.Metadata;
        var now = _time.GetUtcNow();
        var mayHaveEarlier = !(severity == EventSeverity.Normal && LifecycleReasons.Final.Contains(reason))
            && (meta.CreationTimestamp is not { } created || created.ToUniversalTime().Ticks < Interlocked.Read(ref _leadingSinceTicks));
        var uid = meta.Uid ?? ObjectKey.Of(meta.NamespaceProperty, meta.Name);
        var exempt = severity == EventSeverity.Normal && Lifecycle.Contains(reason);
        if (!exempt && _budgets.Count >= MaxTracked)
        {
            PruneFullBudgets(now);
        }
        if (!exempt && !_budgets.GetOrAdd($"{uid}|{reason}", _ => new SpamBudget(now)).TryTake(now))
        {
            _logger.LogDebug("Event {Reason} for {Namespace}/{Name} dropped by the spam filter", reason, meta.NamespaceProperty, meta.Name);
            return Task.CompletedTask;
        }
        var involved = new V1ObjectReference
        {
            ApiVersion = obj.ApiVersion, Kind = obj.Kind, Name = meta.Name, NamespaceProperty = meta.NamespaceProperty,
            Uid = meta.Uid, ResourceVersion = meta.ResourceVersion,
        };
        var pending = new PendingEvent(involved, $"{uid}|{severity}|{reason}|{(series is null ? "m:" + message : "s:" + series)}", severity, reason, message, now,
            $"{meta.Name}.{now.ToUnixTimeMilliseconds():x}{Interlocked.Increment(ref _sequence) & 0xffff:x4}", series, mayHaveEarlier);
        if (!_queue.Writer.TryWrite(pending))
        {
            Drop(pending, "queue_full", _stopped ? "the recorder has stopped" : $"{_options.MaxQueued} events are already waiting");
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends the queue in order until <paramref name="ct"/> is cancelled, then what is queued for up to
    /// <see cref="EventRecorderOptions.FlushTimeout"/>. Faults only on an unexpected error, which the supervisor treats
    /// as fatal. Runs once.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var abandon = new CancellationTokenSource();
        var sending = SendLoopAsync(abandon.Token);
        try
        {
            await sending.WaitAsync(ct).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        _stopped = true;
        _queue.Writer.TryComplete();
        try
        {
            await sending.WaitAsync(_options.FlushTimeout, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("{Count} Events were not sent before shutdown", _queue.Reader.Count + 1);
            await abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        await foreach (var pending in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var delay = _options.RetryBaseDelay;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await SendAsync(pending, ct).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (ApiErrors.IsTransient(e, ct))
                {
                    if (_time.GetUtcNow() - pending.At + delay > _options.MaxAge)
                    {
                        Drop(pending, "expired", $"not sent within {_options.MaxAge}: {Describe(e)}");
                        break;
                    }
                    _logger.LogDebug("Event {Reason} for {Namespace}/{Name} not sent (attempt {Attempt}), retrying in {Delay}: {Error}",
                        pending.Reason, pending.Involved.NamespaceProperty, pending.Involved.Name, attempt, delay, Describe(e));
                }
                catch (HttpOperationException e)
                {
                    Drop(pending, "rejected", Describe(e));
                    break;
                }
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    private async Task SendAsync(PendingEvent pending, CancellationToken ct)
    {
        var ns = pending.Involved.NamespaceProperty;
        if (!_recent.ContainsKey(pending.Key) && pending.MayHaveEarlier && pending.Involved.Uid is { } uid
            && await FindExistingAsync(ns, uid, pending, ct).ConfigureAwait(false) is { } existing)
        {
            _recent[pending.Key] = existing;
        }
        if (_recent.TryGetValue(pending.Key, out var seen) && pending.At - seen.LastSeen < AggregationWindow)
        {
            var count = seen.Count + 1;
            var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = pending.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ") };
            if (pending.IsSeries)
            {
                patch["message"] = pending.Message;
            }
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(
                    new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), seen.Name, ns, cancellationToken: ct).ConfigureAwait(false);
                _recent[pending.Key] = seen with { Count = count, LastSeen = pending.At };
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The event expired on the server (events have a TTL): record a fresh one.
            }
        }
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = pending.Name, NamespaceProperty = ns },
            InvolvedObject = pending.Involved,
            Reason = pending.Reason,
            Message = pending.Message,
            Type = pending.Severity.ToString(),
            Count = 1,
            FirstTimestamp = pending.At.UtcDateTime,
            LastTimestamp = pending.At.UtcDateTime,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
            ReportingInstance = _instance,
            // A series' name, so that a lookup after a restart finds the Event of this series and no other.
            Action = pending.Series,
        };
        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(ev, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // An earlier attempt was stored but its response was lost: the event exists under this name.
        }
        if (_recent.Count >= MaxTracked)
        {
            _recent.Clear();
        }
        _recent[pending.Key] = new Recorded(pending.Name, 1, pending.At);
    }

    private void Drop(PendingEvent pending, string reason, string why)
    {
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _logger.LogWarning("Event {Reason} for {Namespace}/{Name} dropped ({DropReason}): {Why}",
            pending.Reason, pending.Involved.NamespaceProperty, pending.Involved.Name, reason, why);
    }

    private static string Describe(Exception e) => ApiErrors.Describe(e);

    private sealed record PendingEvent(
        V1ObjectReference Involved, string Key, EventSeverity Severity, string Reason, string Message, DateTimeOffset At, string Name,
        string? Series, bool MayHaveEarlier)
    {
        public bool IsSeries => Series is not null;
    }

    /// <summary>Drops the bookkeeping of a deleted object (identified by its uid).</summary>
    public void Forget(string uid)
    {
        var prefix = uid + "|";
        foreach (var key in _recent.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            _recent.TryRemove(key, out _);
        }
        foreach (var key in _budgets.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            _budgets.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// A budget that has refilled completely behaves exactly as a new one, so dropping it changes nothing: this bounds
    /// the budgets by the objects warned about in the last refill time even when a Forget was missed (an object deleted
    /// while this process was not watching, or a warning recorded after the delete was seen).
    /// </summary>
    private void PruneFullBudgets(DateTimeOffset now)
    {
        foreach (var (key, budget) in _budgets)
        {
            if (budget.IsFull(now))
            {
                _budgets.TryRemove(key, out _);
            }
        }
    }

    /// <summary>An Event this component recorded earlier (e.g. before a restart) for the same object and reason, with the
    /// same message (any message, for a series).</summary>
    private async Task<Recorded?> FindExistingAsync(string ns, string uid, PendingEvent pending, CancellationToken ct)
    {
        var now = pending.At;
        var list = await _client.CoreV1.ListNamespacedEventAsync(ns,
            fieldSelector: $"involvedObject.uid={uid},reason={pending.Reason}", cancellationToken: ct).ConfigureAwait(false);
        var match = list.Items
            .Where(e => (pending.IsSeries ? e.Action == pending.Series : e.Message == pending.Message && e.Action is null)
                && e.Type == pending.Severity.ToString() && e.Source?.Component == _component)
            .Select(e => (Event: e, Last: new DateTimeOffset(DateTime.SpecifyKind(e.LastTimestamp ?? e.FirstTimestamp ?? DateTime.MinValue, DateTimeKind.Utc))))
            .Where(e => now - e.Last < AggregationWindow)
            .OrderByDescending(e => e.Last)
            .FirstOrDefault();
        return match.Event is null ? null : new Recorded(match.Event.Metadata.Name, match.Event.Count ?? 1, match.Last);
    }

    private sealed record Recorded(string Name, int Count, DateTimeOffset LastSeen);

    /// <summary>A token bucket of <see cref="SpamBurst"/> tokens refilled one per <see cref="SpamRefill"/>.</summary>
    private sealed class SpamBudget(DateTimeOffset start)
    {
        private readonly Lock _gate = new();
        private double _tokens = SpamBurst;
        private DateTimeOffset _last = start;

        public bool IsFull(DateTimeOffset now)
        {
            lock (this)
            {
                return _tokens + ((now - _last) / SpamRefill) >= SpamBurst;
            }
        }

        public bool TryTake(DateTimeOffset now)
        {
            lock (_gate)
            {
                _tokens = Math.Min(SpamBurst, _tokens + ((now - _last) / SpamRefill));
                _last = now;
                if (_tokens < 1)
                {
                    return false;
                }
                _tokens -= 1;
                return true;
            }
        }
    }
}

/// <summary>Bounds of <see cref="EventRecorder"/>'s queue and retries.</summary>
internal sealed record EventRecorderOptions
{
    public int MaxQueued { get; init; } = 1000;

    /// <summary>An event not sent this long after it was emitted is dropped (the outage is not a short one).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
