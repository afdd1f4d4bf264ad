using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Queue;

namespace Operator.Tests.Engine;

/// <summary>The controller loop end to end: informer → queue → workers → reconciler, against the API emulator.</summary>
[TestFixture]
public sealed class ControllerTests
{
    private KubeTestBed _bed = null!;
    private CancellationTokenSource _stop = null!;
    private TestMeterFactory _meters = null!;

    [SetUp]
    public async Task SetUp()
    {
        _bed = await KubeTestBed.StartAsync();
        _stop = new CancellationTokenSource();
        _meters = new TestMeterFactory();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        _meters.Dispose();
        await _bed.DisposeAsync();
    }

    private (Controller<ECSCluster> Controller, Informer<ECSCluster> Informer, Task Run) Start(
        Func<ReconcileRequest, Informer<ECSCluster>, ObjectPatcher, CancellationToken, Task<ReconcileResult>> reconcile,
        ControllerOptions? options = null, Func<ReconcileRequest, bool>? admit = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null,
        Action<Controller<ECSCluster>>? beforeRun = null)
    {
        var filter = new OwnWriteFilter([ApiGroup.Finalizer]);
        var informer = new Informer<ECSCluster>(new RawApiClient(_bed.Client, EcsOperatorModule.Json), new InformerOptions { ResyncPeriod = TimeSpan.Zero },
            TimeProvider.System, NullLoggerFactory.Instance, new InformerMetrics(_meters));
        var patcher = new ObjectPatcher(_bed.Client, EcsOperatorModule.Json, TimeProvider.System, NullLogger<ObjectPatcher>.Instance);
        IReconciler reconciler = admit is null
            ? new DelegateReconciler((r, ct) => reconcile(r, informer, patcher, ct))
            : new AdmittingReconciler((r, ct) => reconcile(r, informer, patcher, ct), admit);
        var controller = new Controller<ECSCluster>("test", informer, reconciler,
            options ?? new ControllerOptions { Workers = 2, RateLimiting = new() { BaseDelay = TimeSpan.FromMilliseconds(50) } },
            TimeProvider.System, _meters, new ControllerMetrics(_meters), loggers ?? NullLoggerFactory.Instance, filter);
        informer.AddHandler(controller);
        beforeRun?.Invoke(controller);
        var run = Task.WhenAll(informer.RunAsync(_stop.Token), controller.RunAsync(_stop.Token));
        return (controller, informer, run);
    }

    [Test]
    public async Task An_object_failing_the_same_way_logs_one_error_then_warnings_at_doubling_retries()
    {
        var capture = new LogCapture();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Debug));
        var attempts = 0;
        Start((_, _, _, _) =>
        {
            var attempt = Interlocked.Increment(ref attempts);
            return attempt switch
            {
                < 10 => throw new InvalidOperationException("the same failure"),
                <= 12 => throw new InvalidOperationException("another failure"),
                _ => Task.FromResult(ReconcileResult.Done),
            };
        }, new ControllerOptions { Workers = 1, RateLimiting = new() { BaseDelay = TimeSpan.FromMilliseconds(1) } }, loggers: loggers);
        await _bed.CreateClusterAsync("default", "failing");
        await Eventually.UntilAsync(() => Volatile.Read(ref attempts) >= 13, "12 failures, then a success", TimeSpan.FromSeconds(60));

        var lines = capture.Lines.Where(l => l.Contains(" Operator.Controller.test ", StringComparison.Ordinal) && l.Contains("failing the same way", StringComparison.Ordinal)
            || l.Contains("Reconcile failed", StringComparison.Ordinal)).Select(l => l.Split(" with back-off")[0]).ToList();
        lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)).Should().Equal(
            new[] { "Error Operator.Controller.test Reconcile failed; retry 1", "Error Operator.Controller.test Reconcile failed; retry 10" },
            "an error line for the first failure and for a different one, not one per retry");
        lines.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal)).Should().Equal(
            new[] { 2, 4, 8 }.Select(n => $"Warning Operator.Controller.test Reconcile still failing the same way; retry {n}"));
        lines.Count(l => l.StartsWith("Debug ", StringComparison.Ordinal)).Should().Be(7, "the other repeats (3, 5, 6, 7, 9, 11, 12) are debug lines");
    }

    [Test]
    public async Task Our_status_and_finalizer_writes_do_not_reconcile_again_but_a_spec_change_does()
    {
        var calls = new ConcurrentQueue<long?>();
        Start(async (r, informer, patcher, ct) =>
        {
            var obj = informer.Store.Get(r.Key)!;
            calls.Enqueue(obj.Metadata.Generation);
            await patcher.AddFinalizerAsync(obj, ApiGroup.Finalizer, ct);
            await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(obj,
                new ECSClusterStatus { Status = "ACTIVE", Ready = true, ObservedGeneration = obj.Metadata.Generation }, ct);
            return ReconcileResult.Done;
        });
        await _bed.CreateClusterAsync("default", "c");
        await Eventually.UntilAsync(async () => (await _bed.GetClusterAsync("default", "c"))?.Status?.Ready == true, "status written");
        // A marker write to another object proves the watch delivered everything after our writes.
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => calls.Count >= 2, "the marker's reconcile");
        calls.Should().HaveCount(2, "the finalizer and status echoes of c must not reconcile c again");

        await _bed.PatchClusterAsync("default", "c", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["x"] = "y" } } });
        await Eventually.UntilAsync(() => calls.Count == 3, "a reconcile for the spec change");
        calls.Last().Should().Be(2);
    }

    [Test]
    public async Task A_status_or_label_change_by_someone_else_does_not_reconcile_but_a_spec_change_does()
    {
        var calls = new ConcurrentQueue<string>();
        Start((r, _, _, _) => { calls.Enqueue(r.Key); return Task.FromResult(ReconcileResult.Done); });
        await _bed.CreateClusterAsync("default", "c");
        await Eventually.UntilAsync(() => calls.Count == 1, "the first reconcile");

        await _bed.PatchClusterAsync("default", "c", new JsonObject { ["status"] = new JsonObject { ["status"] = "FAILED" } }, status: true);
        await _bed.PatchClusterAsync("default", "c", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "a" } } });
        await _bed.PatchClusterAsync("default", "c", new JsonObject { ["spec"] = new JsonObject { ["capacityProviders"] = new JsonArray("FARGATE") } });
        await Eventually.UntilAsync(() => calls.Count == 2, "a reconcile for the spec change");
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => calls.Count == 3, "the marker's reconcile");
        calls.Count(k => k == "default/c").Should().Be(2, "neither the status-only write nor the label edit may reconcile");
    }

    [Test]
    public async Task A_metrics_listener_that_starts_during_a_reconcile_reads_true_worker_gauges()
    {
        // An exporter that starts while a worker is busy must not read the worker's end as -1 (the exporter starts with
        // the host, the controllers may already be reconciling).
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = 0;
        Start(async (r, _, _, ct) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            Interlocked.Increment(ref done);
            return ReconcileResult.Done;
        });
        await _bed.CreateClusterAsync("default", "c");
        await entered.Task.WaitAsync(TimeSpan.FromMinutes(1));

        // What an exporter does: sums the deltas of synchronous instruments, keeps the last value of observable ones.
        var values = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == _meters && instrument.Name is "controller_runtime_active_workers" or "controller_runtime_max_concurrent_reconciles")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "controller", Value: "test" })
                {
                    values.AddOrUpdate(instrument.Name, value, (_, old) => instrument.IsObservable ? value : old + value);
                }
            }
        });
        listener.Start();
        release.TrySetResult();
        await Eventually.UntilAsync(() => Volatile.Read(ref done) == 1, "the reconcile ends");
        await Eventually.UntilAsync(() =>
        {
            listener.RecordObservableInstruments();
            return values.TryGetValue("controller_runtime_active_workers", out var active) && active == 0;
        }, "active workers back to 0", TimeSpan.FromSeconds(30));
        values.GetValueOrDefault("controller_runtime_active_workers").Should().Be(0);
        values.GetValueOrDefault("controller_runtime_max_concurrent_reconciles").Should().Be(2);
    }

    [Test]
    public async Task A_failing_reconcile_backs_off_exponentially_then_succeeds()
    {
        var attempts = new ConcurrentQueue<DateTime>();
        Start((r, _, _, _) =>
        {
            attempts.Enqueue(DateTime.UtcNow);
            return attempts.Count < 4 ? throw new InvalidOperationException("transient") : Task.FromResult(ReconcileResult.Done);
        });
        await _bed.CreateClusterAsync("default", "c");
        await Eventually.UntilAsync(() => attempts.Count == 4, "four attempts");
        var times = attempts.ToArray();
        // Base delay 50 ms: retries after ≥50, ≥100, ≥200 ms.
        (times[1] - times[0]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(45));
        (times[2] - times[1]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(95));
        (times[3] - times[2]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(195));
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => attempts.Count == 5, "the marker");
        attempts.Should().HaveCount(5, "success forgets the key: no further retries");
    }

    [Test]
    public async Task A_key_mapped_before_the_workers_start_is_background_work_and_one_mapped_after_is_not()
    {
        var priorities = new ConcurrentDictionary<string, int>();
        var (controller, _, _) = Start((r, _, _, _) =>
        {
            priorities.TryAdd(r.Name, r.Priority);
            return Task.FromResult(ReconcileResult.Done);
        }, beforeRun: c => c.EnqueueMapped("default/mapped-early"));
        await Eventually.UntilAsync(() => priorities.ContainsKey("mapped-early"), "the key mapped before the workers started");

        controller.EnqueueMapped("default/mapped-late");
        await Eventually.UntilAsync(() => priorities.ContainsKey("mapped-late"), "the key mapped once they run");

        priorities["mapped-early"].Should().Be(Controller<ECSCluster>.LowPriority, "anything mapped before the workers start is background work");
        priorities["mapped-late"].Should().Be(WorkQueue<string>.DefaultPriority, "a change mapped while the workers run is a user's");
    }

    [Test]
    public async Task A_write_that_finds_its_object_deleted_ends_the_pass_quietly_but_a_404_about_another_object_is_a_failure()
    {
        var capture = new LogCapture();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Debug));
        var calls = new ConcurrentDictionary<string, int>();
        Start(async (r, informer, patcher, ct) =>
        {
            calls.AddOrUpdate(r.Name, 1, (_, c) => c + 1);
            if (informer.Store.Get(r.Key) is not { } obj)
            {
                return ReconcileResult.Done;
            }
            if (r.Name == "gone")
            {
                // Deleted after the cache copy was taken, as when an earlier pass removed the last finalizer.
                await _bed.DeleteClusterAsync("default", r.Name);
            }
            var target = r.Name == "gone" ? obj : new ECSCluster { Metadata = new V1ObjectMeta { Name = "elsewhere", NamespaceProperty = "default" } };
            await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(target, new ECSClusterStatus { Status = "ACTIVE" }, ct);
            return ReconcileResult.Done;
        }, loggers: loggers);
        await _bed.CreateClusterAsync("default", "gone");
        await _bed.CreateClusterAsync("default", "other");
        await Eventually.UntilAsync(() => calls.GetValueOrDefault("other") >= 2, "the 404 about another object is retried");
        // A marker created after the deletion: once it is reconciled, the delete event of "gone" was handled too.
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => calls.ContainsKey("marker"), "the marker");

        calls["gone"].Should().BeLessThanOrEqualTo(2, "no retry with back-off: at most the pass that met 404 and the delete event's pass");
        var errors = capture.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)).ToList();
        errors.Should().ContainSingle("only the 404 about another object is a failure").Which.Should().Contain("Reconcile failed");
        capture.Lines.Should().Contain(l => l.StartsWith("Debug ", StringComparison.Ordinal) && l.Contains("deleted while it was reconciled", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_terminal_error_is_not_retried_and_requeue_after_comes_back()
    {
        var calls = new ConcurrentDictionary<string, int>();
        Start((r, _, _, _) =>
        {
            var n = calls.AddOrUpdate(r.Name, 1, (_, c) => c + 1);
            return r.Name switch
            {
                "terminal" => throw new TerminalReconcileException("InvalidSpec", "bad"),
                "again" when n < 3 => Task.FromResult(ReconcileResult.After(TimeSpan.FromMilliseconds(100))),
                _ => Task.FromResult(ReconcileResult.Done),
            };
        });
        await _bed.CreateClusterAsync("default", "terminal");
        await _bed.CreateClusterAsync("default", "again");
        await Eventually.UntilAsync(() => calls.GetValueOrDefault("again") == 3, "three passes of the requeued key");
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => calls.ContainsKey("marker"), "the marker");
        calls["terminal"].Should().Be(1);
    }

    [Test]
    public async Task One_key_is_never_reconciled_twice_at_once()
    {
        var inFlight = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var total = 0;
        Start(async (r, _, _, ct) =>
        {
            if (inFlight.AddOrUpdate(r.Key, 1, (_, c) => c + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }
            await Task.Delay(5, ct);
            inFlight.AddOrUpdate(r.Key, 0, (_, c) => c - 1);
            Interlocked.Increment(ref total);
            return ReconcileResult.Done;
        }, new ControllerOptions { Workers = 4 });
        await _bed.CreateClusterAsync("default", "hot");
        for (var i = 0; i < 30; i++)
        {
            await _bed.PatchClusterAsync("default", "hot", new JsonObject { ["spec"] = new JsonObject { ["tags"] = new JsonObject { ["i"] = $"{i}" } } });
        }
        await Eventually.UntilAsync(() => total >= 2 && inFlight.Values.All(v => v == 0), "the burst processed");
        overlaps.Should().Be(0);
    }

    [Test]
    public async Task Shutdown_drains_the_reconcile_in_flight()
    {
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var finished = false;
        var (_, _, run) = Start(async (r, _, _, ct) =>
        {
            started.TrySetResult();
            await release.Task;
            finished = true;
            return ReconcileResult.Done;
        });
        await _bed.CreateClusterAsync("default", "slow");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await _stop.CancelAsync();
        run.IsCompleted.Should().BeFalse("the in-flight reconcile holds the drain");
        release.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        finished.Should().BeTrue();
    }

    [Test]
    public async Task A_deferred_key_is_neither_reconciled_nor_retried_until_its_owner_queues_it_again()
    {
        var admitted = false;
        var admits = new ConcurrentDictionary<string, int>();
        var passes = new ConcurrentDictionary<string, int>();
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == _meters && instrument.Name is "controller_reconcile_deferred_total" or "controller_runtime_reconcile_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();
        // A 1 ms retry base: a controller that retried the deferral would ask again many times before the marker's pass.
        var (controller, _, _) = Start((r, _, _, _) =>
        {
            passes.AddOrUpdate(r.Name, 1, (_, c) => c + 1);
            return Task.FromResult(ReconcileResult.Done);
        }, admit: r =>
        {
            admits.AddOrUpdate(r.Name, 1, (_, c) => c + 1);
            return r.Name != "waiting" || Volatile.Read(ref admitted);
        }, options: new ControllerOptions { Workers = 2, RateLimiting = new() { BaseDelay = TimeSpan.FromMilliseconds(1) } });

        await _bed.CreateClusterAsync("default", "waiting");
        await Eventually.UntilAsync(() => admits.ContainsKey("waiting"), "the waiting key asked for admission");
        await _bed.CreateClusterAsync("default", "marker");
        await Eventually.UntilAsync(() => passes.ContainsKey("marker"), "the marker's pass");
        // The counters are added to after the admission check and the pass return: wait for them, then look at what else happened.
        await Eventually.UntilAsync(() => counts.GetValueOrDefault("controller_reconcile_deferred_total") >= 1 && counts.GetValueOrDefault("controller_runtime_reconcile_total") >= 1,
            () => $"the deferral and the marker's reconcile counted ({string.Join(", ", counts)})");
        passes.Should().NotContainKey("waiting", "a deferred key has no pass");
        admits["waiting"].Should().Be(1, "a deferral is not a failure: the controller does not retry it");
        counts.GetValueOrDefault("controller_reconcile_deferred_total").Should().Be(1);
        counts.GetValueOrDefault("controller_runtime_reconcile_total").Should().Be(1, "only the marker's pass is a reconcile");

        Volatile.Write(ref admitted, true);
        controller.Enqueue("default/waiting");
        await Eventually.UntilAsync(() => passes.ContainsKey("waiting"), "the waiting key's pass once queued again");
        await Eventually.UntilAsync(() => counts.GetValueOrDefault("controller_runtime_reconcile_total") >= 2, () => $"the second reconcile counted ({string.Join(", ", counts)})");
        passes["waiting"].Should().Be(1);
        admits["waiting"].Should().Be(2);
        counts.GetValueOrDefault("controller_runtime_reconcile_total").Should().Be(2);
    }

    private sealed class AdmittingReconciler(
        Func<ReconcileRequest, CancellationToken, Task<ReconcileResult>> reconcile, Func<ReconcileRequest, bool> admit) : IReconciler, IReconcileAdmission
    {
        public bool Admit(ReconcileRequest request) => admit(request);

        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct) => reconcile(request, ct);
    }

    private sealed class DelegateReconciler(Func<ReconcileRequest, CancellationToken, Task<ReconcileResult>> reconcile) : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct) => reconcile(request, ct);
    }
}
