using Operator.Core.Queue;

namespace Operator.Tests.Queue;

[TestFixture]
public sealed class WorkQueueMetricsTests
{
    private FakeTimeProvider _time = null!;
    private TestMeterFactory _meters = null!;
    private WorkQueueMetricsRecorder _recorder = null!;
    private WorkQueue<string> _queue = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider();
        _meters = new TestMeterFactory();
        _recorder = new WorkQueueMetricsRecorder(_meters);
        _queue = _time.NewQueue(_meters, name: "ecscluster");
    }

    [TearDown]
    public void TearDown()
    {
        _queue.Dispose();
        _recorder.Dispose();
        _meters.Dispose();
    }

    [Test]
    public void Adds_count_only_items_that_became_dirty()
    {
        _queue.Add("a");
        _queue.Add("a");
        _queue.Add("b");

        _recorder.Sum("workqueue_adds_total", "ecscluster").Should().Be(2);
        _recorder.Observe("workqueue_depth", "ecscluster").Should().Be(2);
    }

    [Test]
    public void Depth_follows_gets_and_reprocessing()
    {
        _queue.Add("a");
        _queue.Add("b");
        WorkItem<string> a = _queue.GetReady();
        _recorder.Observe("workqueue_depth", "ecscluster").Should().Be(1);

        _queue.Add("a"); // dirty again while processing: counts as depth, as in client-go
        _recorder.Observe("workqueue_depth", "ecscluster").Should().Be(2);
        a.Dispose();
        _queue.DrainReady();
        _recorder.Observe("workqueue_depth", "ecscluster").Should().Be(0);
        _recorder.Sum("workqueue_adds_total", "ecscluster").Should().Be(3);
    }

    [Test]
    public void Queue_and_work_durations_are_recorded_in_seconds_on_the_time_provider()
    {
        _queue.Add("a");
        _time.Advance(TimeSpan.FromMilliseconds(250));
        WorkItem<string> lease = _queue.GetReady();
        _time.Advance(TimeSpan.FromSeconds(2));
        lease.Dispose();
        lease.Dispose(); // a second Done records nothing

        _recorder.Values("workqueue_queue_duration_seconds", "ecscluster").Should().Equal(0.25);
        _recorder.Values("workqueue_work_duration_seconds", "ecscluster").Should().Equal(2.0);
    }

    [Test]
    public void Unfinished_work_and_longest_running_processor_reflect_leases_in_flight()
    {
        _queue.Add("a");
        _queue.Add("b");
        WorkItem<string> a = _queue.GetReady();
        _time.Advance(TimeSpan.FromSeconds(3));
        WorkItem<string> b = _queue.GetReady();
        _time.Advance(TimeSpan.FromSeconds(1));

        _recorder.Observe("workqueue_unfinished_work_seconds", "ecscluster").Should().Be(5);
        _recorder.Observe("workqueue_longest_running_processor_seconds", "ecscluster").Should().Be(4);

        a.Dispose();
        b.Dispose();
        _recorder.Observe("workqueue_unfinished_work_seconds", "ecscluster").Should().Be(0);
        _recorder.Observe("workqueue_longest_running_processor_seconds", "ecscluster").Should().Be(0);
    }

    [Test]
    public void Retries_count_rate_limited_and_delayed_adds()
    {
        _queue.AddRateLimited("a");
        _queue.AddAfter("b", TimeSpan.FromSeconds(1));
        _queue.AddAfter("c", TimeSpan.Zero);

        _recorder.Sum("workqueue_retries_total", "ecscluster").Should().Be(3);
        _recorder.Sum("workqueue_adds_total", "ecscluster").Should().Be(1, "only 'c' is added so far");

        _time.Advance(TimeSpan.FromSeconds(1));
        _recorder.Sum("workqueue_adds_total", "ecscluster").Should().Be(3);
    }

    [Test]
    public void Queues_are_told_apart_by_the_name_tag()
    {
        using WorkQueue<string> other = _time.NewQueue(_meters, name: "awsprovider");
        _queue.Add("a");
        other.Add("a");
        other.Add("b");

        _recorder.Sum("workqueue_adds_total", "ecscluster").Should().Be(1);
        _recorder.Sum("workqueue_adds_total", "awsprovider").Should().Be(2);
        _recorder.Observe("workqueue_depth", "awsprovider").Should().Be(2);
    }

    [Test]
    public void A_disposed_queue_leaves_the_gauges()
    {
        using WorkQueue<string> other = _time.NewQueue(_meters, name: "awsprovider");
        other.Dispose();

        _recorder.Observe("workqueue_depth", "ecscluster").Should().Be(0);
        _recorder.ObservedValues("workqueue_depth", "awsprovider").Should().BeEmpty();
    }
}
