using Operator.Core.Queue;

namespace Operator.Tests.Queue;

[TestFixture]
public sealed class WorkQueueConcurrencyTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Many_workers_never_process_one_key_concurrently_and_every_add_is_processed(CancellationToken ct)
    {
        const int Workers = 4;
        const int Keys = 16;
        const int Adds = 40_000;
        var time = new FakeTimeProvider();
        using WorkQueue<string> queue = time.NewQueue();
        string[] keys = [.. Enumerable.Range(0, Keys).Select(i => $"ns/key-{i}")];
        var inFlight = new int[Keys];
        var lastAddStamp = new long[Keys];
        var lastStartStamp = new long[Keys];
        long stamp = 0;
        int overlaps = 0;
        long processed = 0;

        async Task Worker()
        {
            while (true)
            {
                using WorkItem<string> work = await queue.GetAsync(ct);
                if (work.IsShutdown)
                {
                    return;
                }

                int k = int.Parse(work.Item.AsSpan("ns/key-".Length));
                InterlockedMax(ref lastStartStamp[k], Interlocked.Increment(ref stamp));
                if (Interlocked.Increment(ref inFlight[k]) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                // Widen the window in which a second lease of the same key would be detected.
                Thread.SpinWait(50);
                if (Interlocked.Increment(ref processed) % 64 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inFlight[k]);
            }
        }

        Task[] workers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(Worker, ct))];
        var random = new Random(7);
        for (int i = 0; i < Adds; i++)
        {
            int k = random.Next(Keys);
            lastAddStamp[k] = Interlocked.Increment(ref stamp); // taken before the add is linearized
            queue.Add(keys[k]);
            if (i % 256 == 0)
            {
                await Task.Yield();
            }
        }

        // Liveness: the last add of every key is followed by a processing that started after it. If an add were
        // lost this loop would not end and [CancelAfter] fails the test.
        while (Volatile.Read(ref overlaps) == 0
            && Enumerable.Range(0, Keys).Any(k => lastAddStamp[k] != 0 && Volatile.Read(ref lastStartStamp[k]) <= lastAddStamp[k]))
        {
            await Task.Delay(1, ct);
        }

        overlaps.Should().Be(0, "a key must never be leased to two workers at once");
        await queue.ShutDownWithDrainAsync(ct);
        await Task.WhenAll(workers);

        for (int k = 0; k < Keys; k++)
        {
            if (lastAddStamp[k] != 0)
            {
                lastStartStamp[k].Should().BeGreaterThan(lastAddStamp[k], $"the last add of key {k} must be processed");
            }
        }

        processed.Should().BeLessThanOrEqualTo(Adds, "adds are deduplicated, never multiplied");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Concurrent_getters_each_receive_distinct_items(CancellationToken ct)
    {
        var time = new FakeTimeProvider();
        using WorkQueue<string> queue = time.NewQueue();
        var received = new ConcurrentBag<string>();

        Task[] getters = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                using WorkItem<string> work = await queue.GetAsync(ct);
                if (work.IsShutdown)
                {
                    return;
                }

                received.Add(work.Item);
            }
        }, ct))];

        for (int i = 0; i < 10_000; i++)
        {
            queue.Add($"item-{i}");
        }

        while (received.Count < 10_000)
        {
            await Task.Delay(1, ct);
        }

        queue.ShutDown();
        await Task.WhenAll(getters);
        received.Should().OnlyHaveUniqueItems().And.HaveCount(10_000);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current = Volatile.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
