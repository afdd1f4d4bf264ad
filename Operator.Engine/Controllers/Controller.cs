using System.Diagnostics;
using System.Diagnostics.Metrics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Queue;
using Operator.Core.Text;

namespace Operator.Core.Controllers;

/// <summary>
/// The controller-runtime loop for one kind: informer events become keys on a rate-limited queue, N workers take keys
/// and call the reconciler, and the outcome is mapped to the queue exactly as controller-runtime maps it
/// (exception → AddRateLimited; <see cref="TerminalReconcileException"/> → Forget, no requeue;
/// RequeueAfter → Forget + AddAfter; success → Forget). An exception never kills a worker. A 409 Conflict
/// (<see cref="ApiErrors.IsConflict"/>) is retried the same way but logged as information, not as an error: it means the
/// cache was behind the object, which the retry's fresher cache resolves.
/// Event filter: adds and resyncs enqueue; a delete enqueues unless the object had a deletionTimestamp (its deletion
/// was reconciled through our finalizer); an update enqueues only as <see cref="OwnWriteFilter"/> decides from its old
/// and new object (a new generation, a deletionTimestamp, one of our annotation keys removed, or a finalizer change
/// other than our own finalizer added, or removed from an object being deleted; never labels or other annotations), so
/// the echoes of our status and finalizer writes never reconcile, whichever arrives first.
/// Other informers wake keys through <see cref="Watches{TSource}"/>, or through a handler of their own that calls
/// <see cref="EnqueueMapped"/>; components that choose a priority call <see cref="Enqueue(string, int)"/>.
/// Priority: work a user caused — an add once the workers run (a new object), a generation or deletionTimestamp
/// change, any other update the filter keeps, a delete, a key mapped from another kind once the workers run — is
/// queued at <see cref="WorkQueue{T}.DefaultPriority"/>; background work — the initial list and any key mapped
/// (<see cref="Watches{TSource}"/>, <see cref="EnqueueMapped"/>) before the workers start, a resync (same
/// resourceVersion; a relist reports only changed objects), <see cref="EnqueueBackground"/> (drift) — at <see cref="LowPriority"/>, so user changes are never
/// queued behind a resync or failover backlog. A retry and a <c>RequeueAfter</c> keep the priority of the pass that
/// asked for them (as controller-runtime does): a periodic requeue of background work stays low, and a user change
/// that has to wait (a busy provider, a cluster still provisioning) is not demoted behind the backlog.
/// Bulk confirmation: with <see cref="ConfirmInBulk"/>, background adds of objects the confirmation covers are
/// dropped until the workers start; right after they start the confirmation runs, and it must queue every covered
/// object that it does not confirm (it sees the whole cache, so nothing dropped is lost).
/// Admission: a reconciler that is also an <see cref="IReconcileAdmission"/> is asked before each pass; a key it
/// defers is forgotten without a pass (counted in <c>controller_reconcile_deferred_total</c>, not as a reconcile) and
/// the reconciler queues it again itself.
/// Constructing a controller attaches nothing: the caller adds it to its informer's handlers
/// (<see cref="Informer{T}.AddHandler"/>) before the informer runs, runs the informer (possibly shared) and calls
/// <see cref="RunAsync"/>, which waits for its sync.
/// </summary>
internal sealed class Controller<T> : IInformerHandler<T>, Operator.Core.Runtime.IDrainingRunnable, IDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Informer<T> _informer;
    private readonly IReconciler _reconciler;
    private readonly IReconcileAdmission? _admission;
    private readonly ControllerOptions _options;
    private readonly WorkQueue<string> _queue;
    private readonly ControllerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _controllerTag;
    private readonly ControllerMetrics.Gauges _gauges;
    // The last failure logged per key while it keeps failing (removed when a pass ends without an error).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);
    private IBulkConfirmation<T>? _bulk;
    private volatile bool _started;
    private int _deferred;

    public Controller(
        string name, Informer<T> informer, IReconciler reconciler, ControllerOptions options, TimeProvider time,
        IMeterFactory meterFactory, ControllerMetrics metrics, ILoggerFactory loggers, OwnWriteFilter filter)
    {
        Name = name;
        _informer = informer;
        _reconciler = reconciler;
        _admission = reconciler as IReconcileAdmission;
        _options = options;
        _time = time;
        _metrics = metrics;
        Filter = filter;
        _logger = loggers.CreateLogger($"Operator.Controller.{name}");
        _controllerTag = new("controller", name);
        _gauges = metrics.For(name);
        _queue = new WorkQueue<string>(new WorkQueueOptions(name) { RateLimiting = options.RateLimiting }, time, meterFactory);
        // Every series an alert divides by exists from start-up, at 0.
        metrics.ReconcileErrors.Add(0, _controllerTag);
        foreach (var result in new[] { "success", "error", "requeue_after" })
        {
            metrics.ReconcileTotal.Add(0, _controllerTag, new("result", result));
        }
    }

    /// <summary>The priority of background work (controller-runtime's <c>LowPriority</c>).</summary>
    public const int LowPriority = -100;

    public string Name { get; }
    public OwnWriteFilter Filter { get; }
    public int QueueLength => _queue.Len;

    /// <summary>Queues a key for reconciliation at the default priority (deduplicated with keys already waiting).</summary>
    public void Enqueue(string key) => _queue.Add(key);

    /// <summary>Queues a key at <paramref name="priority"/> (a higher one promotes a key already waiting).</summary>
    public void Enqueue(string key, int priority) => _queue.Add(key, priority);

    /// <summary>
    /// Queues a key at <see cref="LowPriority"/> only if it is neither queued nor being reconciled (a second pass
    /// over a key already in the pipeline would repeat its AWS reads for nothing); true when it was queued.
    /// </summary>
    public bool EnqueueBackground(string key) => _queue.AddIfIdle(key, LowPriority);

    /// <summary>
    /// Hands the initial sync of the objects <paramref name="confirmation"/> covers to it (see the type's contract).
    /// Must be called before the informer runs.
    /// </summary>
    public void ConfirmInBulk(IBulkConfirmation<T> confirmation) => _bulk = confirmation;

    public void OnAdd(T obj) => Add(obj, _started ? WorkQueue<string>.DefaultPriority : LowPriority);

    public void OnUpdate(T oldObj, T newObj)
    {
        if (ReferenceEquals(oldObj, newObj) || oldObj.Metadata.ResourceVersion == newObj.Metadata.ResourceVersion)
        {
            Add(newObj, LowPriority); // a resync or a relist re-delivering the object
        }
        else if (Filter.Matters(oldObj.Metadata, newObj.Metadata))
        {
            _queue.Add(ObjectKey.Of(newObj));
        }
    }

    /// <summary>
    /// An object that had a deletionTimestamp went through the reconciles of its deletion (our finalizer's); its final
    /// DELETE needs no further pass. One deleted without one (no finalizer of ours) is queued, so nothing is missed.
    /// </summary>
    public void OnDelete(T obj)
    {
        if (obj.Metadata.DeletionTimestamp is null)
        {
            _queue.Add(ObjectKey.Of(obj));
        }
    }

    private void Add(T obj, int priority)
    {
        if (priority == LowPriority && !_started && _bulk is { } confirmation && confirmation.Covers(obj))
        {
            Interlocked.Increment(ref _deferred);
            return;
        }
        _queue.Add(ObjectKey.Of(obj), priority);
    }

    /// <summary>
    /// Queues a key a watch of another kind mapped a change to: at the default priority once the workers run; before,
    /// as background work (<see cref="LowPriority"/>, and left to the bulk confirmation when it covers the object).
    /// For handlers that map changes themselves (<see cref="Watches{TSource}"/> uses it for its map).
    /// </summary>
    public void EnqueueMapped(string key)
    {
        if (_started)
        {
            _queue.Add(key);
        }
        else if (_informer.Store.Get(key) is { } obj)
        {
            Add(obj, LowPriority);
        }
        else
        {
            _queue.Add(key, LowPriority);
        }
    }

    /// <summary>
    /// Wakes this controller's objects on changes of another kind, like controller-runtime's
    /// <c>Watches(source, EnqueueRequestsFromMapFunc(map))</c>: <paramref name="map"/> gets (old, new) — old null on an
    /// add, new null on a delete, both the same object on a resync — and returns the keys to queue. It runs on the
    /// source informer's thread after that informer's cache holds the new state, so a reconcile it causes reads
    /// that state. Must be called before the source informer runs.
    /// </summary>
    public void Watches<TSource>(Informer<TSource> source, Func<TSource?, TSource?, IEnumerable<string>> map)
        where TSource : class, IKubernetesObject<V1ObjectMeta> =>
        source.AddHandler(new MappedHandler<TSource>(map, EnqueueMapped));

    /// <summary>Waits for the informer's sync, runs the workers until cancelled, then drains within the grace period.</summary>
    public Task RunAsync(CancellationToken ct) => RunAsync(ct, CancellationToken.None);

    /// <summary>
    /// As <see cref="RunAsync(CancellationToken)"/>; <paramref name="abort"/> (a lost Lease) cancels in-flight
    /// reconciles at once, also during the drain.
    /// </summary>
    public async Task RunAsync(CancellationToken ct, CancellationToken abort)
    {
        if (!await _informer.WaitForSyncAsync(ct).ConfigureAwait(false))
        {
            return;
        }
        // From here on nothing is dropped; the confirmation below starts after this and reads the whole cache.
        _started = true;
        _logger.LogInformation("Starting {Workers} workers for {Controller}", _options.Workers, Name);
        Interlocked.Add(ref _gauges.MaxConcurrent, _options.Workers);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var workers = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkerAsync(hardStop.Token), CancellationToken.None)).ToList();
        if (_bulk is not null)
        {
            workers.Add(Task.Run(() => ConfirmAsync(_bulk, ct), CancellationToken.None));
        }
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _logger.LogInformation("Stopping {Controller}: draining in-flight reconciles for up to {Grace}", Name, _options.DrainTimeout);
        using (var deadline = new CancellationTokenSource(_options.DrainTimeout, _time))
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(abort, deadline.Token))
        {
            try
            {
                await _queue.ShutDownWithDrainAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _logger.LogWarning("{Controller}: drain grace period expired; cancelling in-flight reconciles", Name);
            }
        }
        await hardStop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);
        Interlocked.Add(ref _gauges.MaxConcurrent, -_options.Workers);
    }

    public void Dispose() => _queue.Dispose();

    private async Task ConfirmAsync(IBulkConfirmation<T> confirmation, CancellationToken ct)
    {
        _logger.LogInformation("{Controller}: {Deferred} initial-sync events of converged objects left to the bulk confirmation",
            Name, Volatile.Read(ref _deferred));
        try
        {
            await confirmation.ConfirmAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The objects it should have confirmed are reconciled one by one instead.
            _logger.LogError(e, "{Controller}: bulk confirmation failed, reconciling every object instead: {ErrorType}: {Message}",
                Name, e.GetType().Name, ExceptionText.SafeMessage(e.Message));
            foreach (var obj in _informer.Store.List())
            {
                _queue.Add(ObjectKey.Of(obj), LowPriority);
            }
        }
    }

    private sealed class MappedHandler<TSource>(Func<TSource?, TSource?, IEnumerable<string>> map, Action<string> add)
        : IInformerHandler<TSource>
        where TSource : class, IKubernetesObject<V1ObjectMeta>
    {
        public void OnAdd(TSource obj) => AddAll(map(null, obj));

        public void OnUpdate(TSource oldObj, TSource newObj) => AddAll(map(oldObj, newObj));

        public void OnDelete(TSource obj) => AddAll(map(obj, null));

        private void AddAll(IEnumerable<string> keys)
        {
            foreach (var key in keys)
            {
                add(key);
            }
        }
    }

    private async Task WorkerAsync(CancellationToken hardStop)
    {
        while (true)
        {
            using var work = await _queue.GetAsync(CancellationToken.None).ConfigureAwait(false);
            if (work.IsShutdown)
            {
                return;
            }
            Interlocked.Increment(ref _gauges.Active);
            try
            {
                await ProcessAsync(work.Item, work.Priority, hardStop).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _gauges.Active);
            }
        }
    }

    private async Task ProcessAsync(string key, int priority, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Split(key);
        var request = new ReconcileRequest(ns, name) { Priority = priority };
        if (_admission is not null && !_admission.Admit(request))
        {
            // Deferred: the reconciler queues the key again when it can run; no pass, no reconcile counted.
            _queue.Forget(key);
            _metrics.ReconcileDeferred.Add(1, _controllerTag);
            return;
        }
        var reconcileId = Guid.NewGuid().ToString("N")[..12];
        using var scope = _logger.BeginScope(new Dictionary<string, object?>
        {
            ["controller"] = Name, ["kind"] = _informer.Resource.Kind, ["namespace"] = ns, ["name"] = name, ["reconcileID"] = reconcileId,
        });
        using var activity = ControllerMetrics.Activities.StartActivity($"reconcile {_informer.Resource.Kind}");
        activity?.SetTag("controller", Name);
        activity?.SetTag("k8s.namespace.name", ns);
        activity?.SetTag("k8s.object.name", name);
        activity?.SetTag("reconcile.id", reconcileId);
        var started = _time.GetTimestamp();
        string result;
        try
        {
            var outcome = await _reconciler.ReconcileAsync(request, ct).ConfigureAwait(false);
            _queue.Forget(key);
            if (outcome.RequeueAfter is { } after && after > TimeSpan.Zero)
            {
                _queue.AddAfter(key, after, priority);
                result = "requeue_after";
            }
            else
            {
                result = "success";
            }
        }
        catch (TerminalReconcileException e)
        {
            _queue.Forget(key);
            result = "error";
            _metrics.ReconcileErrors.Add(1, _controllerTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.Reason);
            _logger.LogWarning("Reconcile failed and will not be retried until the object changes: {Reason}: {Message}", e.Reason, Text.ExceptionText.SafeMessage(e.Message));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = "error";
            _logger.LogInformation("Reconcile cancelled by shutdown");
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            _queue.AddRateLimited(key, priority);
            result = "error";
            _metrics.ReconcileErrors.Add(1, _controllerTag);
            _logger.LogInformation("Reconcile met a newer version of the object than its cache held (409 Conflict); retry {Attempt} with back-off",
                _queue.NumRequeues(key));
        }
        catch (Exception e) when (ApiErrors.IsGone(e, _informer.Resource, name))
        {
            // Deleted while this pass ran (a write of the pass met 404 naming the object): nothing is left to do, and
            // the delete event queues the key again anyway. Not an error, so no error line for a routine race.
            _queue.Forget(key);
            result = "success";
            _logger.LogDebug("The object was deleted while it was reconciled (a write answered 404 Not Found); nothing left to do");
        }
        catch (Exception e) when (ApiErrors.IsApiServerHiccup(e))
        {
            // The API server restarting or overloaded, not yet reported by the reconciler (ApiServerHiccups): a
            // warning; once it has lasted, the reconciler reports it and it is logged as an error below.
            _queue.AddRateLimited(key, priority);
            result = "error";
            _metrics.ReconcileErrors.Add(1, _controllerTag);
            _logger.LogWarning("Reconcile met an unavailable API server ({Error}); retry {Attempt} with back-off",
                ApiErrors.Describe(e), _queue.NumRequeues(key));
        }
        catch (Exception e)
        {
            _queue.AddRateLimited(key, priority); // a retry keeps the priority of the work that failed
            result = "error";
            _metrics.ReconcileErrors.Add(1, _controllerTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            LogFailure(key, e);
        }
        if (result != "error")
        {
            _failures.TryRemove(key, out _);
        }
        _metrics.ReconcileTotal.Add(1, _controllerTag, new("result", result));
        _metrics.ReconcileTime.Record(_time.GetElapsedTime(started).TotalSeconds, _controllerTag);
    }

    /// <summary>
    /// One object that keeps failing the same way is not an error line per retry: its first failure, and any failure
    /// that differs from the one before, is logged as an error; repeats are logged as a warning at the 2nd, 4th, 8th…
    /// attempt (the back-off doubles too, so about one line per back-off period at most) and at debug level otherwise.
    /// </summary>
    private void LogFailure(string key, Exception e)
    {
        var attempt = _queue.NumRequeues(key);
        var message = ExceptionText.SafeMessage(e.Message);
        var what = $"{e.GetType().Name}: {message}";
        var repeat = _failures.TryGetValue(key, out var previous) && previous == what;
        _failures[key] = what;
        if (!repeat)
        {
            // The first time, with the stack (frames kept, a message that may carry a secret withheld).
            _logger.LogError(e, "Reconcile failed; retry {Attempt} with back-off: {ErrorType}: {Message}", attempt, e.GetType().Name, message);
        }
        else
        {
            _logger.Log(System.Numerics.BitOperations.IsPow2(attempt) ? LogLevel.Warning : LogLevel.Debug,
                "Reconcile still failing the same way; retry {Attempt} with back-off: {ErrorType}: {Message}", attempt, e.GetType().Name, message);
        }
    }
}
