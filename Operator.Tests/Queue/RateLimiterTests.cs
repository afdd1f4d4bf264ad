using Operator.Core.Queue;

namespace Operator.Tests.Queue;

[TestFixture]
public sealed class RateLimiterTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Test]
    public void Exponential_backoff_doubles_from_5ms_and_caps_at_1000s()
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(Ms(5), TimeSpan.FromSeconds(1000));

        TimeSpan[] delays = [.. Enumerable.Range(0, 20).Select(_ => limiter.When("a"))];

        delays.Take(5).Should().Equal(Ms(5), Ms(10), Ms(20), Ms(40), Ms(80));
        for (int n = 0; n < 18; n++)
        {
            delays[n].Should().Be(Ms(5 * Math.Pow(2, n)), $"failure #{n}"); // 5 ms · 2^17 = 655.36 s < 1000 s
        }

        delays[18].Should().Be(TimeSpan.FromSeconds(1000), "5 ms · 2^18 = 1310.72 s is capped");
        delays[19].Should().Be(TimeSpan.FromSeconds(1000));
        limiter.NumRequeues("a").Should().Be(20);
    }

    [Test]
    public void Exponential_backoff_is_per_item_and_reset_by_forget()
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(Ms(5), TimeSpan.FromSeconds(1000));
        limiter.When("a");
        limiter.When("a");
        limiter.When("b").Should().Be(Ms(5));
        limiter.NumRequeues("a").Should().Be(2);

        limiter.Forget("a");

        limiter.NumRequeues("a").Should().Be(0);
        limiter.When("a").Should().Be(Ms(5));
        limiter.NumRequeues("b").Should().Be(1);
    }

    [Test]
    public void Exponential_backoff_does_not_overflow()
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(Ms(5), TimeSpan.MaxValue);
        TimeSpan last = TimeSpan.Zero;
        for (int i = 0; i < 2000; i++)
        {
            TimeSpan delay = limiter.When("a");
            delay.Should().BeGreaterThanOrEqualTo(last, "the delay never wraps around");
            last = delay;
        }

        last.Should().Be(TimeSpan.MaxValue);
    }

    [Test]
    public void Token_bucket_allows_a_burst_of_100_then_spaces_by_100ms()
    {
        var time = new FakeTimeProvider();
        var bucket = new BucketRateLimiter<string>(qps: 10, burst: 100, time);

        for (int i = 0; i < 100; i++)
        {
            bucket.When($"item-{i}").Should().Be(TimeSpan.Zero, $"reservation #{i} is within the burst");
        }

        // Reservations made at the same instant go into debt: each waits 100 ms longer than the previous one.
        for (int i = 1; i <= 10; i++)
        {
            bucket.When("x").Should().Be(Ms(100 * i));
        }

        bucket.NumRequeues("x").Should().Be(0);
    }

    [Test]
    public void Token_bucket_refills_at_10_qps()
    {
        var time = new FakeTimeProvider();
        var bucket = new BucketRateLimiter<string>(qps: 10, burst: 100, time);
        for (int i = 0; i < 100; i++)
        {
            bucket.When("a");
        }

        // A caller that waits out each delay is paced at exactly one reservation per 100 ms.
        for (int i = 0; i < 10; i++)
        {
            TimeSpan delay = bucket.When("a");
            delay.Should().Be(Ms(100));
            time.Advance(delay);
        }

        time.Advance(TimeSpan.FromSeconds(1)); // the debt was paid by the last wait: 10 fresh tokens
        for (int i = 0; i < 10; i++)
        {
            bucket.When("a").Should().Be(TimeSpan.Zero);
        }

        bucket.When("a").Should().Be(Ms(100));

        time.Advance(TimeSpan.FromHours(1)); // never more than the burst
        for (int i = 0; i < 100; i++)
        {
            bucket.When("a").Should().Be(TimeSpan.Zero);
        }

        bucket.When("a").Should().BeGreaterThan(TimeSpan.Zero);
    }

    [Test]
    public void MaxOf_returns_the_larger_delay_and_forwards_forget()
    {
        var time = new FakeTimeProvider();
        var exponential = new ItemExponentialFailureRateLimiter<string>(Ms(5), TimeSpan.FromSeconds(1000));
        var bucket = new BucketRateLimiter<string>(qps: 10, burst: 1, time);
        var max = new MaxOfRateLimiter<string>(exponential, bucket);

        max.When("a").Should().Be(Ms(5), "the bucket has a token, exponential says 5 ms");
        max.When("a").Should().Be(Ms(100), "the bucket is in debt by one token: 100 ms > 10 ms");
        time.Advance(TimeSpan.FromSeconds(10));
        max.When("a").Should().Be(Ms(20), "the bucket is full again, exponential says 20 ms");
        max.NumRequeues("a").Should().Be(3);

        max.Forget("a");
        max.NumRequeues("a").Should().Be(0);
        time.Advance(TimeSpan.FromSeconds(10));
        max.When("a").Should().Be(Ms(5));
    }

    [Test]
    public void Default_controller_limiter_is_max_of_exponential_and_bucket()
    {
        var time = new FakeTimeProvider();
        IRateLimiter<string> limiter = DefaultControllerRateLimiter.Create<string>(time);

        for (int i = 0; i < 100; i++)
        {
            limiter.When($"item-{i}").Should().Be(Ms(5));
        }

        limiter.When("item-100").Should().Be(Ms(100), "the burst of 100 is spent");
        limiter.When("item-0").Should().Be(Ms(200));
    }

    [Test]
    public void Default_controller_limiter_parameters_come_from_options()
    {
        var time = new FakeTimeProvider();
        var options = new RateLimiterOptions { BaseDelay = Ms(1), MaxDelay = Ms(3), Qps = 1, Burst = 2 };
        IRateLimiter<string> limiter = DefaultControllerRateLimiter.Create<string>(time, options);

        limiter.When("a").Should().Be(Ms(1));
        limiter.When("a").Should().Be(Ms(2));
        limiter.When("a").Should().Be(TimeSpan.FromSeconds(1), "burst 2 spent at 1 qps beats the 3 ms cap");
    }

    [Test]
    public void Invalid_parameters_are_rejected()
    {
        var time = new FakeTimeProvider();
        FluentActions.Invoking(() => new BucketRateLimiter<string>(0, 1, time)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new BucketRateLimiter<string>(1, 0, time)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new ItemExponentialFailureRateLimiter<string>(Ms(5), Ms(1))).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new MaxOfRateLimiter<string>()).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void Queue_AddRateLimited_delays_by_the_limiter_and_counts_requeues()
    {
        var time = new FakeTimeProvider();
        using WorkQueue<string> queue = time.NewQueue();

        queue.AddRateLimited("a");
        queue.NumRequeues("a").Should().Be(1);
        time.Advance(Ms(4));
        queue.Len.Should().Be(0);
        time.Advance(Ms(1));
        queue.DrainReady().Should().Equal("a");

        queue.AddRateLimited("a");
        time.Advance(Ms(9));
        queue.Len.Should().Be(0);
        time.Advance(Ms(1));
        queue.DrainReady().Should().Equal("a");
        queue.NumRequeues("a").Should().Be(2);

        queue.Forget("a");
        queue.NumRequeues("a").Should().Be(0);
        queue.AddRateLimited("a");
        time.Advance(Ms(5));
        queue.DrainReady().Should().Equal("a");
    }
}
