using Operator.Core.Bulkheads;
using Operator.Tests.Aws;

namespace Operator.Tests.Clusters;

/// <summary>The per-provider cap on concurrent reconciles, with many callers at once.</summary>
public sealed class ProviderBulkheadTests
{
    [Test]
    public async Task Many_callers_at_once_never_hold_more_than_the_cap_per_provider_and_providers_do_not_share_slots()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new AwsMetricsRecorder(meters);
        var bulkhead = new ProviderBulkhead(2, meters);
        var inFlight = new Dictionary<string, int> { ["ns/a"] = 0, ["ns/b"] = 0 };
        var maxInFlight = new Dictionary<string, int> { ["ns/a"] = 0, ["ns/b"] = 0 };
        var entered = 0;
        var refused = 0;
        using var start = new ManualResetEventSlim();

        var callers = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var provider = i % 2 == 0 ? "ns/a" : "ns/b";
            start.Wait();
            for (var n = 0; n < 200; n++)
            {
                using var slot = bulkhead.TryEnter(provider);
                if (slot is null)
                {
                    Interlocked.Increment(ref refused);
                    await Task.Yield();
                    continue;
                }
                Interlocked.Increment(ref entered);
                lock (inFlight)
                {
                    inFlight[provider]++;
                    maxInFlight[provider] = Math.Max(maxInFlight[provider], inFlight[provider]);
                }
                await Task.Yield();
                lock (inFlight)
                {
                    inFlight[provider]--;
                }
            }
        })).ToList();
        start.Set();
        await Task.WhenAll(callers);

        maxInFlight["ns/a"].Should().BeInRange(1, 2);
        maxInFlight["ns/b"].Should().BeInRange(1, 2);
        entered.Should().BeGreaterThan(0);
        refused.Should().BeGreaterThan(0, "16 callers contend for 2 slots per provider");
        metrics.Sum(ProviderBulkhead.BusyMetric).Should().Be(refused);
        bulkhead.InUse("ns/a").Should().Be(0);
        bulkhead.InUse("ns/b").Should().Be(0);
    }

    [Test]
    public void A_full_provider_refuses_at_once_and_a_released_slot_is_free_again()
    {
        using var meters = new TestMeterFactory();
        var bulkhead = new ProviderBulkhead(1, meters);

        var held = bulkhead.TryEnter("ns/hung");
        held.Should().NotBeNull();
        bulkhead.TryEnter("ns/hung").Should().BeNull();
        using (bulkhead.TryEnter("ns/other").Should().NotBeNull().And.Subject as IDisposable)
        {
        }
        held!.Dispose();
        held.Dispose();
        bulkhead.InUse("ns/hung").Should().Be(0);
        using var again = bulkhead.TryEnter("ns/hung");
        again.Should().NotBeNull();
        ProviderBulkhead.DefaultCapacity(4).Should().Be(2);
        ProviderBulkhead.DefaultCapacity(1).Should().Be(1);
    }
}
