using System.Threading.Channels;
using Operator.Core.Bulkheads;
using Operator.Tests.Aws;

namespace Operator.Tests.Clusters;

/// <summary>
/// Keys refused by a full <see cref="ProviderBulkhead"/> are parked and woken when a slot frees: no key is left parked
/// while a slot is free (including when a woken key does not use its wake-up), and a key costs at most a few refusals
/// instead of one per timer tick. Many workers at once over a channel standing in for the work queue, randomised.
/// </summary>
public sealed class ProviderWaitListTests
{
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public async Task Every_parked_key_is_woken_and_done_and_none_is_left_parked(int seed)
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(2, meters);
        var waiting = new ProviderWaitList(bulkhead);
        var queue = Channel.CreateUnbounded<string>();
        waiting.WakeWith(key => queue.Writer.TryWrite(key));
        var random = new Random(seed);
        var keys = Enumerable.Range(0, 60).Select(i => $"ns/c{i}").ToList();
        // Some keys, once woken, end without taking a slot (their object was deleted meanwhile).
        var vanishing = keys.Where(_ => random.Next(5) == 0).ToHashSet();
        var done = new ConcurrentDictionary<string, int>();
        var refusals = new ConcurrentDictionary<string, int>();
        var pauses = keys.ToDictionary(k => k, _ => random.Next(3));
        foreach (var key in keys)
        {
            queue.Writer.TryWrite(key);
        }

        async Task WorkerAsync(CancellationToken ct)
        {
            await foreach (var key in queue.Reader.ReadAllAsync(ct))
            {
                try
                {
                    if (refusals.ContainsKey(key) && vanishing.Contains(key))
                    {
                        done.AddOrUpdate(key, 1, (_, n) => n + 1);
                        continue;
                    }
                    using var slot = bulkhead.TryEnter("ns/p");
                    if (slot is null)
                    {
                        refusals.AddOrUpdate(key, 1, (_, n) => n + 1);
                        waiting.Park("ns/p", key).Should().BeTrue();
                        continue;
                    }
                    waiting.Entered(key);
                    for (var i = 0; i < pauses[key]; i++)
                    {
                        await Task.Yield();
                    }
                    done.AddOrUpdate(key, 1, (_, n) => n + 1);
                }
                finally
                {
                    waiting.Settled(key);
                }
            }
        }

        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() => WorkerAsync(stop.Token))).ToList();
        await Eventually.UntilAsync(() => done.Count == keys.Count && waiting.Parked == 0 && bulkhead.InUse("ns/p") == 0,
            $"seed {seed}: every key done, none parked (done {done.Count}, parked {waiting.Parked})");
        await stop.CancelAsync();
        await Task.WhenAll(workers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        refusals.Values.Sum().Should().BeLessThanOrEqualTo(3 * keys.Count, $"seed {seed}: parked keys are not retried on a timer");
    }

    [Test]
    public void Without_a_wake_action_park_refuses_so_the_caller_requeues_on_a_timer()
    {
        using var meters = new TestMeterFactory();
        var waiting = new ProviderWaitList(new ProviderBulkhead(1, meters));
        waiting.Park("ns/p", "ns/c").Should().BeFalse();
        waiting.Parked.Should().Be(0);
    }

    [Test]
    public void A_key_parked_while_a_slot_is_free_is_woken_at_once()
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(1, meters);
        var waiting = new ProviderWaitList(bulkhead);
        var woken = new List<string>();
        waiting.WakeWith(woken.Add);
        var held = bulkhead.TryEnter("ns/p");
        waiting.Park("ns/p", "ns/a").Should().BeTrue();
        waiting.Park("ns/p", "ns/b").Should().BeTrue();
        woken.Should().BeEmpty();
        held!.Dispose();
        woken.Should().Equal("ns/a");
        waiting.Settled("ns/a"); // woken but did not take the slot: the next one gets it
        woken.Should().Equal("ns/a", "ns/b");
        waiting.Parked.Should().Be(0);
    }

    [Test]
    public void A_parked_user_change_takes_the_next_slot_ahead_of_the_parked_background_backlog()
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(1, meters);
        var waiting = new ProviderWaitList(bulkhead);
        var woken = new List<(string Key, int Priority)>();
        waiting.WakeWith((key, priority) => woken.Add((key, priority)));
        var held = bulkhead.TryEnter("ns/p");
        waiting.Park("ns/p", "ns/b1", -100).Should().BeTrue();
        waiting.Park("ns/p", "ns/b2", -100).Should().BeTrue();
        waiting.Park("ns/p", "ns/user", 0).Should().BeTrue();
        waiting.Park("ns/p", "ns/b3", -100).Should().BeTrue();
        waiting.Park("ns/p", "ns/b1", 0).Should().BeTrue(); // re-parked at a higher priority: promoted behind ns/user

        held!.Dispose();
        woken.Should().Equal(("ns/user", 0));
        foreach (var expected in new[] { "ns/user", "ns/b1", "ns/b2" })
        {
            waiting.Settled(expected); // each woken key gives the slot on without taking it
        }
        woken.Should().Equal(("ns/user", 0), ("ns/b1", 0), ("ns/b2", -100), ("ns/b3", -100));
        waiting.Parked.Should().Be(0);
    }

    [Test]
    public void A_key_parked_again_for_another_provider_at_the_same_priority_waits_on_the_new_one()
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(1, meters);
        var waiting = new ProviderWaitList(bulkhead);
        var woken = new List<string>();
        waiting.WakeWith(woken.Add);
        var heldA = bulkhead.TryEnter("ns/a");
        var heldB = bulkhead.TryEnter("ns/b");
        waiting.Park("ns/a", "ns/c").Should().BeTrue();
        // Its providerRef moved to b: parked again for b, same priority.
        waiting.Park("ns/b", "ns/c").Should().BeTrue();

        heldB!.Dispose();
        woken.Should().Equal(["ns/c"], "a slot of its new provider wakes it");
        heldA!.Dispose();
        woken.Should().Equal(["ns/c"], "it no longer waits on the old one");
        waiting.Parked.Should().Be(0);
    }

    [Test]
    public void A_woken_key_parked_again_for_another_provider_passes_the_wake_up_on()
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(1, meters);
        var waiting = new ProviderWaitList(bulkhead);
        var woken = new List<string>();
        waiting.WakeWith(woken.Add);
        var heldA = bulkhead.TryEnter("ns/a");
        var heldB = bulkhead.TryEnter("ns/b");
        waiting.Park("ns/a", "ns/k").Should().BeTrue();
        waiting.Park("ns/a", "ns/l").Should().BeTrue();
        heldA!.Dispose();
        woken.Should().Equal(["ns/k"]);
        // k's providerRef moved to b before its pass: it parks on b, and a's free slot must not be lost.
        waiting.Park("ns/b", "ns/k").Should().BeTrue();
        woken.Should().Equal(["ns/k", "ns/l"], "the slot k did not use goes to the next key parked on a");
        heldB!.Dispose();
        woken.Should().Equal(["ns/k", "ns/l", "ns/k"]);
    }
}
