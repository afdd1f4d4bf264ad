using Operator.Core.Aws.Resilience;

namespace Operator.Tests.Aws;

/// <summary>The client-side token bucket on a fake clock: bursts up to capacity, then waits (never fails) for refills.</summary>
public sealed class AwsTokenBucketTests
{
    [Test]
    public async Task Acquire_waits_for_a_refill_instead_of_failing()
    {
        var time = new FakeTimeProvider();
        using var bucket = new AwsTokenBucket(new TokenBucketOptions(2, 1), time);

        (await bucket.AcquireAsync()).IsAcquired.Should().BeTrue();
        (await bucket.AcquireAsync()).IsAcquired.Should().BeTrue();
        var third = bucket.AcquireAsync().AsTask();
        var fourth = bucket.AcquireAsync().AsTask();

        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(500));
        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(500));
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).IsAcquired.Should().BeTrue();
        fourth.IsCompleted.Should().BeFalse("the refill rate is one per second");
        time.Advance(TimeSpan.FromSeconds(1));
        (await fourth.WaitAsync(TimeSpan.FromSeconds(10))).IsAcquired.Should().BeTrue();
        bucket.WaitedCount.Should().Be(2);
    }

    [Test]
    public void AttemptAcquire_fails_fast_when_empty_and_refills_with_time()
    {
        var time = new FakeTimeProvider();
        using var bucket = new AwsTokenBucket(new TokenBucketOptions(1, 10), time);

        bucket.AttemptAcquire().IsAcquired.Should().BeTrue();
        bucket.AttemptAcquire().IsAcquired.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(100));
        bucket.AttemptAcquire().IsAcquired.Should().BeTrue();
    }

    [Test]
    public async Task A_waiting_acquire_is_cancellable()
    {
        var time = new FakeTimeProvider();
        using var bucket = new AwsTokenBucket(new TokenBucketOptions(1, 0.01), time);
        await bucket.AcquireAsync();
        using var cts = new CancellationTokenSource();

        var waiting = bucket.AcquireAsync(1, cts.Token).AsTask();
        await cts.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public void The_defaults_stay_below_ECS_documented_limits()
    {
        var defaults = new AwsResilienceOptions();

        defaults.ReadBucket.Capacity.Should().BeLessThan(50);
        defaults.ReadBucket.RefillPerSecond.Should().BeLessThan(20);
        defaults.WriteBucket.Capacity.Should().BeLessThanOrEqualTo(defaults.ReadBucket.Capacity);
        defaults.MaxRetryAttempts.Should().BeGreaterThan(0);
    }
}
