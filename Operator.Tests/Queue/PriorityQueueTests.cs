using FsCheck;
using FsCheck.Fluent;
using Operator.Core.Queue;

namespace Operator.Tests.Queue;

/// <summary>The priority lanes of <see cref="WorkQueue{T}"/>: order, promotion, and the per-key guarantees kept.</summary>
[TestFixture]
public sealed class PriorityQueueTests
{
    private const int Low = -100;

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
    public void A_higher_priority_item_is_served_before_an_earlier_lower_one()
    {
        for (int i = 0; i < 1000; i++)
        {
            _queue.Add($"backlog-{i}", Low);
        }

        _queue.Add("user-change");
        _queue.Add("backlog-1000", Low);

        List<string> order = _queue.DrainReady();

        order[0].Should().Be("user-change");
        order.Skip(1).Should().Equal(Enumerable.Range(0, 1001).Select(i => $"backlog-{i}"), "FIFO within a priority");
    }

    [Test]
    public void A_waiting_low_item_added_at_a_higher_priority_is_promoted_once()
    {
        _queue.Add("a", Low);
        _queue.Add("b", Low);
        _queue.Add("c", Low);
        _queue.Add("c");          // promoted
        _queue.Add("c", Low);     // a lower add changes nothing

        _queue.Len.Should().Be(3, "the stale slot of a promoted item is not counted");
        _queue.DrainReady().Should().Equal("c", "a", "b");
        _queue.Len.Should().Be(0);
        _queue.GetAsync().IsCompleted.Should().BeFalse("the stale slot is never handed out");
    }

    [Test]
    public void An_item_added_while_processing_is_queued_on_done_at_the_highest_priority_added()
    {
        _queue.Add("x", Low);
        WorkItem<string> lease = _queue.GetReady();
        lease.Priority.Should().Be(Low);
        _queue.Add("y", Low);
        _queue.Add("x", Low);
        _queue.Add("x");
        _queue.Len.Should().Be(1, "x is being processed: only y is ready");
        lease.Dispose();

        using WorkItem<string> next = _queue.GetReady();
        next.Item.Should().Be("x");
        next.Priority.Should().Be(WorkQueue<string>.DefaultPriority);
    }

    [Test]
    public void A_promoted_item_is_never_leased_twice_and_its_stale_slot_never_resurfaces()
    {
        _queue.Add("k", Low);
        _queue.Add("k"); // stale slot left in the low lane
        using (WorkItem<string> first = _queue.GetReady())
        {
            first.Item.Should().Be("k");
            _queue.Len.Should().Be(0);
            _queue.GetAsync().IsCompleted.Should().BeFalse("the stale low slot must not lease k a second time");
        }

        _queue.Add("other", Low);
        _queue.Add("k", Low); // queued behind "other" although the stale slot is ahead of it
        _queue.DrainReady().Should().Equal("other", "k");
    }

    [Test]
    public void A_delayed_add_keeps_its_priority_and_a_waiting_delay_keeps_the_higher_one()
    {
        _queue.Add("background", Low);
        _queue.AddAfter("retry", TimeSpan.FromSeconds(1), WorkQueue<string>.DefaultPriority);
        _queue.AddAfter("slow", TimeSpan.FromSeconds(1), Low);
        _queue.AddAfter("slow", TimeSpan.FromSeconds(5), 5);
        _time.Advance(TimeSpan.FromSeconds(1));

        _queue.DrainReady().Should().Equal("slow", "retry", "background");
    }

    [Test]
    public void A_rate_limited_add_keeps_the_priority_given()
    {
        _queue.Add("background", Low);
        _queue.AddRateLimited("failed", 0);
        _time.Advance(TimeSpan.FromSeconds(1));

        _queue.DrainReady().Should().Equal("failed", "background");
    }

    [Test]
    public void AddIfIdle_adds_only_an_item_that_is_neither_waiting_nor_processing_nor_delayed()
    {
        _queue.Add("waiting");
        _queue.AddIfIdle("waiting", Low).Should().BeFalse();
        WorkItem<string> lease = _queue.GetReady();
        _queue.AddIfIdle("waiting", Low).Should().BeFalse("in flight: a second pass would only repeat the reconcile");
        lease.Dispose();
        _queue.Len.Should().Be(0, "the refused add did not mark it dirty");

        _queue.AddAfter("delayed", TimeSpan.FromMinutes(10));
        _queue.AddIfIdle("delayed", Low).Should().BeFalse("a timed requeue or a retry is already its next pass");
        _queue.AddIfIdle("idle", Low).Should().BeTrue();
        _queue.DrainReady().Should().Equal("idle");
    }

    [Test]
    public void Shutdown_drops_items_of_every_lane()
    {
        _queue.Add("a", Low);
        _queue.Add("a");
        _queue.Add("b", 3);
        _queue.ShutDown();

        _queue.Len.Should().Be(0);
        _queue.GetAsync().Result.IsShutdown.Should().BeTrue();
    }

    [Test]
    public void A_cycle_with_promotions_does_not_allocate()
    {
        string[] keys = [.. Enumerable.Range(0, 64).Select(i => $"ns/item-{i}")];

        void Cycles()
        {
            foreach (string key in keys)
            {
                _queue.Add(key, Low);
            }

            for (int i = 0; i < keys.Length; i += 2)
            {
                _queue.Add(keys[i]); // promotion
            }

            for (int i = 0; i < keys.Length; i++)
            {
                ValueTask<WorkItem<string>> get = _queue.GetAsync();
                if (!get.IsCompletedSuccessfully)
                {
                    throw new InvalidOperationException("an item was expected to be ready");
                }

                using WorkItem<string> lease = get.Result;
            }
        }

        Cycles(); // warm up: creates the lanes, grows the dictionary and the FIFOs, JITs the path
        Cycles();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Cycles();
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}

/// <summary>
/// Model-based property of the priority lanes: for any sequence of prioritised Add / AddIfIdle / Get / Done, the
/// queue hands out exactly what a reference model hands out (highest priority first, FIFO of the add that queued the
/// item within a priority, promotion on a higher add, client-go's dirty+processing rules), never leases a key twice
/// at once, and leaves no added item unprocessed.
/// </summary>
[TestFixture]
public sealed class PriorityQueuePropertyTests
{
    private enum Op
    {
        Add,
        AddIfIdle,
        Get,
        Done,
    }

    [Test]
    public void Any_prioritised_sequence_matches_the_priority_model()
    {
        Gen<(Op, int, int)> step = Gen.Zip(
                Gen.Elements(Op.Add, Op.Add, Op.Add, Op.AddIfIdle, Op.Get, Op.Get, Op.Done),
                Gen.Zip(Gen.Choose(0, 5), Gen.Elements(-100, 0, 0, 10)))
            .Select(t => (t.Item1, t.Item2.Item1, t.Item2.Item2));
        Arbitrary<(Op, int, int)[]> steps = Gen.ArrayOf(step).ToArbitrary();

        Prop.ForAll(steps, Run).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private sealed class ModelItem
    {
        public bool Dirty;
        public bool Processing;
        public int Priority;
        public long Order; // when it entered its current lane
    }

    private static bool Run((Op Op, int Arg, int Priority)[] steps)
    {
        using WorkQueue<string> queue = new FakeTimeProvider().NewQueue();
        var model = new Dictionary<string, ModelItem>();
        var held = new List<WorkItem<string>>();
        var addedSinceLastStart = new HashSet<string>();
        long order = 0;

        void ModelAdd(string key, int priority)
        {
            if (!model.TryGetValue(key, out var m))
            {
                model[key] = m = new ModelItem();
            }

            if (!m.Dirty)
            {
                m.Dirty = true;
                m.Priority = priority;
                m.Order = ++order;
            }
            else if (priority > m.Priority)
            {
                m.Priority = priority;
                m.Order = ++order;
            }
        }

        IEnumerable<KeyValuePair<string, ModelItem>> Ready() => model.Where(kv => kv.Value.Dirty && !kv.Value.Processing);

        foreach ((Op op, int arg, int priority) in steps)
        {
            string key = $"k{arg}";
            switch (op)
            {
                case Op.Add:
                    queue.Add(key, priority);
                    addedSinceLastStart.Add(key);
                    ModelAdd(key, priority);
                    break;
                case Op.AddIfIdle:
                    bool idle = !model.TryGetValue(key, out var existing) || (!existing.Dirty && !existing.Processing);
                    if (queue.AddIfIdle(key, priority) != idle)
                    {
                        return false;
                    }

                    if (idle)
                    {
                        addedSinceLastStart.Add(key);
                        ModelAdd(key, priority);
                    }

                    break;
                case Op.Get when Ready().Any():
                    var expected = Ready().OrderByDescending(kv => kv.Value.Priority).ThenBy(kv => kv.Value.Order).First();
                    WorkItem<string> lease = queue.GetReady();
                    if (lease.Item != expected.Key || lease.Priority != expected.Value.Priority)
                    {
                        return false;
                    }

                    expected.Value.Dirty = false;
                    expected.Value.Processing = true;
                    addedSinceLastStart.Remove(expected.Key);
                    held.Add(lease);
                    break;
                case Op.Get:
                    if (queue.Len != 0)
                    {
                        return false;
                    }

                    break;
                case Op.Done when held.Count > 0:
                    WorkItem<string> done = held[arg % held.Count];
                    held.Remove(done);
                    done.Dispose();
                    var item = model[done.Item];
                    item.Processing = false;
                    if (item.Dirty)
                    {
                        item.Order = ++order;
                    }
                    else
                    {
                        model.Remove(done.Item);
                    }

                    break;
            }

            if (queue.Len != Ready().Count())
            {
                return false;
            }
        }

        foreach (WorkItem<string> lease in held)
        {
            lease.Dispose();
        }

        while (queue.Len > 0)
        {
            using WorkItem<string> lease = queue.GetReady();
            addedSinceLastStart.Remove(lease.Item);
        }

        return addedSinceLastStart.Count == 0 && !queue.GetAsync().IsCompleted;
    }
}
