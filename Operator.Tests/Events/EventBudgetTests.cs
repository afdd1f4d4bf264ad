using Microsoft.Extensions.Logging.Abstractions;

namespace Operator.Tests.Events;

/// <summary>The event recorder's spam budget and aggregation, with the real client against the API emulator.</summary>
[TestFixture]
public sealed class EventBudgetTests
{
    private KubeTestBed _kube = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _kube = await KubeTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _kube.DisposeAsync();

    private static V1ConfigMap Subject(string name) => new()
    {
        ApiVersion = "v1", Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
    };

    // One sender delivers the queue in order, each Warning after a lookup: dozens of requests, slow on a busy machine.
    private static readonly TimeSpan Delivery = TimeSpan.FromMinutes(2);

    private readonly Aws.TestMeterFactory _meters = new();

    /// <summary>A recorder of its own (as after a restart), its sender running; Events are sent in order, asynchronously.
    /// Disposing stops the sender as the supervisor does (what is queued is sent first).</summary>
    private RunningRecorder NewRecorder() => new(new EventRecorder(_kube.Client, TimeProvider.System, NullLogger<EventRecorder>.Instance, _meters));

    private sealed class RunningRecorder : IAsyncDisposable
    {
        private readonly EventRecorder _recorder;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sender;

        public RunningRecorder(EventRecorder recorder)
        {
            _recorder = recorder;
            _sender = recorder.RunAsync(_stop.Token);
        }

        public int Queued => _recorder.Queued;

        public Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct,
            string? series = null) => _recorder.RecordAsync(obj, severity, reason, message, ct, series);

        public void Forget(string uid) => _recorder.Forget(uid);

        public void BeginRecording(DateTimeOffset since) => _recorder.BeginRecording(since);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sender;
            _stop.Dispose();
        }
    }

    private async Task<IList<Corev1Event>> EventsAsync(string name) =>
        (await _kube.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.name={name}")).Items;

    [Test]
    public async Task A_Created_event_after_a_long_warning_streak_is_recorded_and_the_streak_is_one_event()
    {
        await using var recorder = NewRecorder();
        var obj = Subject("streak");
        for (var i = 0; i < EventRecorder.SpamBurst + 5; i++)
        {
            await recorder.RecordAsync(obj, EventSeverity.Warning, "InvalidParameter", "capacity provider x does not exist", CancellationToken.None);
        }
        await recorder.RecordAsync(obj, EventSeverity.Warning, "AccessDenied", "not allowed", CancellationToken.None);
        await recorder.RecordAsync(obj, EventSeverity.Normal, "Created", "Created ECS cluster streak", CancellationToken.None);

        // Sent in order: once the last one is there, so is everything before it.
        IList<Corev1Event> events = [];
        await Eventually.UntilAsync(async () => (events = await EventsAsync("streak")).Any(e => e.Reason == "Created"), "the Created event", Delivery);
        events.Should().ContainSingle(e => e.Reason == "InvalidParameter").Which.Count.Should().Be(EventRecorder.SpamBurst);
        events.Should().ContainSingle(e => e.Reason == "AccessDenied", "the budget is per reason");
        events.Should().ContainSingle(e => e.Reason == "Created" && e.Type == "Normal", "lifecycle events are never suppressed");
    }

    [Test]
    public async Task A_repeated_warning_after_a_restart_updates_the_existing_event()
    {
        var obj = Subject("restarted");
        await using var before = NewRecorder();
        await before.RecordAsync(obj, EventSeverity.Warning, "AwsError", "boom", CancellationToken.None);
        await before.RecordAsync(obj, EventSeverity.Warning, "AwsError", "boom", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await EventsAsync("restarted")).Sum(e => e.Count ?? 1) == 2, "both events sent", Delivery);

        await using var after = NewRecorder();
        await after.RecordAsync(obj, EventSeverity.Warning, "AwsError", "boom", CancellationToken.None);

        await Eventually.UntilAsync(async () => (await EventsAsync("restarted")).Sum(e => e.Count ?? 1) == 3, "the third event sent", Delivery);
        (await EventsAsync("restarted")).Should().ContainSingle().Which.Count.Should().Be(3);
    }

    [Test]
    public async Task A_repeated_Normal_event_after_a_restart_updates_the_existing_event()
    {
        var obj = Subject("created-twice");
        obj.Metadata.CreationTimestamp = DateTime.UtcNow.AddMinutes(-1);
        await using (var before = NewRecorder())
        {
            await before.RecordAsync(obj, EventSeverity.Normal, "Created", "Created ECS cluster created-twice", CancellationToken.None);
            await Eventually.UntilAsync(async () => (await EventsAsync("created-twice")).Count == 1, "the first Created event", Delivery);
        }

        await using var after = NewRecorder();
        await after.RecordAsync(obj, EventSeverity.Normal, "Created", "Created ECS cluster created-twice", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await EventsAsync("created-twice")).Sum(e => e.Count ?? 1) == 2, "the repeat sent", Delivery);
        (await EventsAsync("created-twice")).Should().ContainSingle("a Normal event folds across a restart like a Warning").Which.Count.Should().Be(2);
    }

    [Test]
    public async Task After_a_leader_change_an_object_created_before_it_folds_into_the_earlier_leaders_event()
    {
        // This replica's recorder was made (a standby) before the object existed; it begins recording on taking over.
        await using var standby = NewRecorder();
        var obj = Subject("made-under-the-old-leader");
        obj.Metadata.CreationTimestamp = DateTime.UtcNow.AddSeconds(5);
        await using (var oldLeader = NewRecorder())
        {
            await oldLeader.RecordAsync(obj, EventSeverity.Normal, "Created", "Created ECS cluster x", CancellationToken.None);
            await Eventually.UntilAsync(async () => (await EventsAsync("made-under-the-old-leader")).Count == 1, "the old leader's event", Delivery);
        }
        standby.BeginRecording(DateTimeOffset.UtcNow.AddSeconds(10));
        await standby.RecordAsync(obj, EventSeverity.Normal, "Created", "Created ECS cluster x", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await EventsAsync("made-under-the-old-leader")).Sum(e => e.Count ?? 1) == 2, "the repeat", Delivery);
        (await EventsAsync("made-under-the-old-leader")).Should().ContainSingle().Which.Count.Should().Be(2);
    }

    [Test]
    public async Task An_object_created_after_the_recorder_began_is_not_looked_up()
    {
        await using var recorder = NewRecorder();
        var fresh = Subject("born-later");
        fresh.Metadata.CreationTimestamp = DateTime.UtcNow.AddSeconds(5);
        await recorder.RecordAsync(fresh, EventSeverity.Normal, "Created", "Created ECS cluster born-later", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await EventsAsync("born-later")).Count == 1, "the event", Delivery);
        _kube.Emulator.Requests.Entries.Where(e => e.Verb == "list" && e.Resource == "events" && e.Query.Contains(fresh.Metadata.Uid, StringComparison.Ordinal))
            .Should().BeEmpty("no earlier instance can have recorded an Event for an object younger than this one's first record");
    }

    [Test]
    public async Task A_series_is_one_event_whose_count_and_message_follow_the_blockers()
    {
        await using var recorder = NewRecorder();
        var obj = Subject("blocked");
        foreach (var n in new[] { 5, 4, 3, 2, 1 })
        {
            await recorder.RecordAsync(obj, EventSeverity.Warning, "DeletionBlocked", $"deletion waits for {n} ECSClusters", CancellationToken.None, series: "InUse");
        }
        await recorder.RecordAsync(obj, EventSeverity.Warning, "DeletionBlocked", "provider missing", CancellationToken.None, series: "ProviderNotFound");
        await Eventually.UntilAsync(async () => (await EventsAsync("blocked")).Sum(e => e.Count ?? 1) == 6, "every event sent", Delivery);
        var events = await EventsAsync("blocked");
        events.Should().HaveCount(2, "one Event per blocking reason");
        var inUse = events.Single(e => e.Message != "provider missing");
        inUse.Count.Should().Be(5);
        inUse.Message.Should().Be("deletion waits for 1 ECSClusters", "the message follows the latest count");
    }

    [Test]
    public async Task Forgetting_a_deleted_object_drops_its_budget()
    {
        await using var recorder = NewRecorder();
        var obj = Subject("forgotten");
        for (var i = 0; i < EventRecorder.SpamBurst + 1; i++)
        {
            await recorder.RecordAsync(obj, EventSeverity.Warning, "AwsError", $"failure {i}", CancellationToken.None);
        }
        await Eventually.UntilAsync(async () => (await EventsAsync("forgotten")).Count == EventRecorder.SpamBurst && recorder.Queued == 0,
            "the budget's events sent", Delivery);
        recorder.Forget(obj.Metadata.Uid);
        await recorder.RecordAsync(obj, EventSeverity.Warning, "AwsError", "after forget", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await EventsAsync("forgotten")).Any(e => e.Message == "after forget"), "the event after Forget", Delivery);
    }
}
