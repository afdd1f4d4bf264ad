using Operator.Core.Queue;

namespace Operator.Tests.Queue;

[TestFixture]
public sealed class WorkQueueTests
{
    private FakeTimeProvider _time = null!;
    private WorkQueue<string> _queue = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider();
        _queue = _time.NewQueue();
    }

    [TearDown]
    public void TearDown() => _queue.Dispose();

    [Test]
    public void Add_of_an_item_already_waiting_is_deduplicated()
    {
        _queue.Add("a");
        _queue.Add("a");
        _queue.Add("b");
        _queue.Add("a");

        _queue.Len.Should().Be(2);
        _queue.DrainReady().Should().Equal("a", "b");
        _queue.Len.Should().Be(0);
    }

    [Test]
    public void Distinct_items_are_handed_out_in_fifo_order()
    {
        string[] items = [.. Enumerable.Range(0, 50).Select(i => $"ns/item-{(i * 7) % 50}")];
        foreach (string item in items)
        {
            _queue.Add(item);
        }

        _queue.DrainReady().Should().Equal(items);
    }

    [Test]
    public async Task An_item_being_processed_is_not_handed_to_a_second_worker()
    {
        WorkItem<string> first = _queue.GetReadyAfterAdd("a");
        _queue.Add("a");

        ValueTask<WorkItem<string>> second = _queue.GetAsync();
        second.IsCompleted.Should().BeFalse("the only dirty item is still being processed");
        _queue.Len.Should().Be(0);

        first.Dispose();
        using WorkItem<string> again = await second;
        again.Item.Should().Be("a");
    }

    [Test]
    public void Adds_during_processing_are_coalesced_into_exactly_one_reprocess()
    {
        using (WorkItem<string> lease = _queue.GetReadyAfterAdd("a"))
        {
            _queue.Add("a");
            _queue.Add("a");
            _queue.Add("a");
            _queue.Len.Should().Be(0, "a dirty item being processed is not queued");
        }

        _queue.Len.Should().Be(1);
        _queue.DrainReady().Should().Equal("a");
        _queue.Len.Should().Be(0, "one reprocess, not three");
        _queue.GetAsync().IsCompleted.Should().BeFalse();
    }

    [Test]
    public void Requeued_item_goes_to_the_back_of_the_fifo()
    {
        WorkItem<string> a = _queue.GetReadyAfterAdd("a");
        _queue.Add("a");
        _queue.Add("b");
        a.Dispose();
        _queue.Add("c");

        _queue.DrainReady().Should().Equal("b", "a", "c");
    }

    [Test]
    public async Task A_waiting_getter_is_woken_by_add()
    {
        ValueTask<WorkItem<string>> waiting = _queue.GetAsync();
        waiting.IsCompleted.Should().BeFalse();

        _queue.Add("a");

        using WorkItem<string> lease = await waiting;
        lease.Item.Should().Be("a");
    }

    [Test]
    public async Task Each_add_wakes_one_of_several_waiting_getters()
    {
        ValueTask<WorkItem<string>>[] waiting = [.. Enumerable.Range(0, 3).Select(_ => _queue.GetAsync())];
        _queue.Add("a");
        _queue.Add("b");
        _queue.Add("c");

        WorkItem<string>[] leases = await Task.WhenAll(waiting.Select(w => w.AsTask()));
        leases.Select(l => l.Item).Should().BeEquivalentTo(["a", "b", "c"]);
        foreach (WorkItem<string> lease in leases)
        {
            lease.Dispose();
        }
    }

    [Test]
    public async Task A_cancelled_getter_throws_and_loses_no_item()
    {
        using var cts = new CancellationTokenSource();
        ValueTask<WorkItem<string>> cancelled = _queue.GetAsync(cts.Token);
        await cts.CancelAsync();

        Func<Task> act = async () => await cancelled;
        await act.Should().ThrowAsync<OperationCanceledException>();

        _queue.Add("a");
        using WorkItem<string> lease = await _queue.GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        lease.Item.Should().Be("a");
    }

    [Test]
    public async Task GetAsync_with_an_already_cancelled_token_throws()
    {
        _queue.Add("a");
        Func<Task> act = async () => await _queue.GetAsync(new CancellationToken(canceled: true));
        await act.Should().ThrowAsync<OperationCanceledException>();
        _queue.Len.Should().Be(1);
    }

    [Test]
    public void Disposing_a_lease_twice_is_harmless()
    {
        WorkItem<string> first = _queue.GetReadyAfterAdd("a");
        WorkItem<string> copy = first;
        first.Dispose();
        first.Dispose();
        copy.Dispose();

        // The same item leased again must not be completed by the stale lease.
        using WorkItem<string> second = _queue.GetReadyAfterAdd("a");
        first.Dispose();
        _queue.Add("a");
        _queue.Len.Should().Be(0, "the second lease is still processing 'a'");
    }

    [Test]
    public void The_default_lease_means_shutdown()
    {
        WorkItem<string> lease = default;
        lease.IsShutdown.Should().BeTrue();
        lease.Invoking(l => l.Item).Should().Throw<InvalidOperationException>();
        lease.Dispose();
    }

    [Test]
    public async Task ShutDown_releases_waiting_getters_rejects_adds_and_drops_queued_items()
    {
        ValueTask<WorkItem<string>> waiting = _queue.GetAsync();
        _queue.Add("a"); // taken by the waiter
        WorkItem<string> a = await waiting;
        ValueTask<WorkItem<string>> idle = _queue.GetAsync();
        _queue.Add("b");
        WorkItem<string> b = await idle;
        ValueTask<WorkItem<string>> stillWaiting = _queue.GetAsync();
        _queue.AddAfter("delayed", TimeSpan.FromSeconds(1));

        _queue.ShutDown();

        (await stillWaiting).IsShutdown.Should().BeTrue();
        _queue.ShuttingDown.Should().BeTrue();
        _queue.Add("c");
        _queue.AddAfter("d", TimeSpan.Zero);
        _queue.AddRateLimited("e");
        _queue.Len.Should().Be(0);
        _time.Advance(TimeSpan.FromSeconds(2));
        _queue.Len.Should().Be(0, "delayed items are dropped");
        (await _queue.GetAsync()).IsShutdown.Should().BeTrue();

        _queue.Add("a"); // re-add during processing after shutdown is dropped
        a.Dispose();
        b.Dispose();
        _queue.Len.Should().Be(0);
        _queue.ShutDown(); // idempotent
    }

    [Test]
    public void ShutDown_drops_items_that_were_queued()
    {
        _queue.Add("a");
        _queue.Add("b");
        _queue.ShutDown();
        _queue.Len.Should().Be(0);
        _queue.GetReady().IsShutdown.Should().BeTrue();
    }

    [Test]
    public async Task ShutDownWithDrain_waits_until_every_lease_is_disposed()
    {
        WorkItem<string> a = _queue.GetReadyAfterAdd("a");
        WorkItem<string> b = _queue.GetReadyAfterAdd("b");

        Task drain = _queue.ShutDownWithDrainAsync();
        _queue.ShuttingDown.Should().BeTrue();
        _queue.Add("c");
        _queue.Len.Should().Be(0);
        drain.IsCompleted.Should().BeFalse();

        a.Dispose();
        drain.IsCompleted.Should().BeFalse("'b' is still being processed");
        b.Dispose();
        await drain.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task ShutDownWithDrain_completes_at_once_when_nothing_is_processing()
    {
        _queue.Add("a");
        await _queue.ShutDownWithDrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _queue.Len.Should().Be(0);
    }

    [Test]
    public async Task ShutDownWithDrain_honours_its_token()
    {
        WorkItem<string> a = _queue.GetReadyAfterAdd("a");
        using var cts = new CancellationTokenSource();

        Task drain = _queue.ShutDownWithDrainAsync(cts.Token);
        await cts.CancelAsync();

        Func<Task> act = () => drain;
        await act.Should().ThrowAsync<OperationCanceledException>();
        _queue.ShuttingDown.Should().BeTrue();
        a.Dispose(); // a late Done is still accepted
        await _queue.ShutDownWithDrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public void Dispose_shuts_the_queue_down()
    {
        _queue.Dispose();
        _queue.ShuttingDown.Should().BeTrue();
        _queue.Add("a");
        _queue.Len.Should().Be(0);
    }
}

internal static class WorkQueueTestExtensions
{
    public static WorkItem<string> GetReadyAfterAdd(this WorkQueue<string> queue, string item)
    {
        queue.Add(item);
        WorkItem<string> lease = queue.GetReady();
        lease.Item.Should().Be(item);
        return lease;
    }
}

[TestFixture]
public sealed class WorkQueueAllocationTests
{
    [Test]
    public void An_add_get_done_cycle_on_a_ready_item_does_not_allocate()
    {
        using WorkQueue<string> queue = new FakeTimeProvider().NewQueue();
        string[] keys = [.. Enumerable.Range(0, 64).Select(i => $"ns/item-{i}")];

        void Cycles()
        {
            foreach (string key in keys)
            {
                queue.Add(key);
                queue.Add(key); // deduplicated
            }

            for (int i = 0; i < keys.Length; i++)
            {
                ValueTask<WorkItem<string>> get = queue.GetAsync();
                if (!get.IsCompletedSuccessfully)
                {
                    throw new InvalidOperationException("an item was expected to be ready");
                }

                using WorkItem<string> lease = get.Result;
            }
        }

        Cycles(); // warm up: grows the dictionary and the FIFO, JITs the path
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Cycles();
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
