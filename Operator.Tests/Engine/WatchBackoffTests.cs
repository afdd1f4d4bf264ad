namespace Operator.Tests.Engine;

/// <summary>
/// The reflector's back-off, on a fake clock: short while the server is unreachable (so an informer is watching again
/// within about 3 s of the server answering), longer while it answers errors, the server's Retry-After honoured, and
/// started over by every success, so a second outage never inherits the first one's delay.
/// </summary>
[TestFixture]
public sealed class WatchBackoffTests
{
    [Test]
    public void An_unreachable_server_is_retried_within_a_second_first_and_never_later_than_3_seconds()
    {
        var backoff = new WatchBackoff(new FakeTimeProvider(), new Random(7));
        backoff.NextDelay(WatchBackoff.Failure.Unreachable).Should().BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(750));
        var delays = Enumerable.Range(0, 20).Select(_ => backoff.NextDelay(WatchBackoff.Failure.Unreachable)).ToList();
        delays.Should().OnlyContain(d => d <= TimeSpan.FromSeconds(3));
        delays.Max().Should().BeGreaterThan(TimeSpan.FromSeconds(1.9), "it still backs off to its cap");
    }

    [Test]
    public void A_server_answering_errors_is_backed_off_to_30_seconds_and_its_Retry_After_is_honoured()
    {
        var backoff = new WatchBackoff(new FakeTimeProvider(), new Random(7));
        var delays = Enumerable.Range(0, 12).Select(_ => backoff.NextDelay(WatchBackoff.Failure.Refused)).ToList();
        delays.Take(3).Max().Should().BeLessThan(delays.Skip(8).Min(), "it grows");
        delays[^1].Should().BeGreaterThanOrEqualTo(WatchBackoff.RefusedMax).And.BeLessThanOrEqualTo(WatchBackoff.RefusedMax * 1.5);
        backoff.Succeeded();
        backoff.NextDelay(WatchBackoff.Failure.Refused, retryAfter: TimeSpan.FromSeconds(5)).Should().Be(TimeSpan.FromSeconds(5));
    }

    [Test]
    public void The_first_error_answer_after_a_long_unreachable_phase_waits_no_longer_than_the_unreachable_cap()
    {
        var backoff = new WatchBackoff(new FakeTimeProvider(), new Random(7));
        for (var i = 0; i < 10; i++)
        {
            backoff.NextDelay(WatchBackoff.Failure.Unreachable);
        }
        // A computed delay (fake clock, seeded jitter), not a measured time: at most the unreachable cap plus its jitter.
        backoff.NextDelay(WatchBackoff.Failure.Refused).Should().BeLessThanOrEqualTo(WatchBackoff.UnreachableMax * 1.5,
            "a restarted server's first 429 or 503 must not be waited out for 30 s");
    }

    [Test]
    public void A_success_starts_the_sequence_over_and_clears_the_time_failing()
    {
        var clock = new FakeTimeProvider();
        var backoff = new WatchBackoff(clock, new Random(7));
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(backoff.NextDelay(WatchBackoff.Failure.Refused));
        }
        backoff.FailingFor.Should().BeGreaterThan(TimeSpan.FromSeconds(60));
        backoff.Succeeded();
        backoff.FailingFor.Should().Be(TimeSpan.Zero);
        backoff.NextDelay(WatchBackoff.Failure.Unreachable).Should().BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(750),
            "a second outage starts short again");
    }
}
