using Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// The coalescing lookup before CreateCluster, deterministically: a scripted ECS client whose calls complete only when
/// the test releases them, and a <see cref="FakeTimeProvider"/> for the window and the read-ahead's lifetime.
/// </summary>
[TestFixture]
public sealed class ClusterLookupTests
{
    private static readonly ClusterLookupOptions NoWindow = new() { Window = TimeSpan.Zero };

    [Test]
    public async Task Callers_arriving_while_a_call_is_in_flight_share_the_next_call()
    {
        var ecs = new ScriptedEcs { Held = true };
        ecs.Add("a");
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        var first = lookup.FindAsync(ecs, "a", null, CancellationToken.None);
        await Eventually.UntilAsync(() => ecs.Requests.Count == 1, "the first call is sent");
        var others = Enumerable.Range(0, 10).Select(i => lookup.FindAsync(ecs, $"n{i}", null, CancellationToken.None)).ToList();
        others.Add(lookup.FindAsync(ecs, "n3", null, CancellationToken.None)); // the same name twice: one entry
        ecs.Requests.Should().HaveCount(1, "one call in flight per client");

        ecs.ReleaseAll();
        (await first)!.ClusterName.Should().Be("a");
        await Eventually.UntilAsync(() => ecs.Requests.Count == 2, "the waiting callers are sent together");
        ecs.ReleaseAll();
        (await Task.WhenAll(others)).Should().OnlyContain(c => c == null);
        ecs.Requests[1].Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(i => $"n{i}"), "distinct names, one call");
    }

    [Test]
    public async Task Callers_within_the_window_share_one_call()
    {
        var time = new FakeTimeProvider();
        var ecs = new ScriptedEcs();
        var lookup = new ClusterLookup(new ClusterLookupOptions { Window = TimeSpan.FromMilliseconds(20) }, time);
        var calls = Enumerable.Range(0, 5).Select(i => lookup.FindAsync(ecs, $"w{i}", null, CancellationToken.None)).ToList();
        ecs.Requests.Should().BeEmpty("nothing is sent before the window ends");
        time.Advance(TimeSpan.FromMilliseconds(20));
        await Task.WhenAll(calls);
        ecs.Requests.Should().ContainSingle().Which.Should().HaveCount(5);
    }

    [Test]
    public async Task A_full_batch_is_sent_at_once_and_no_call_carries_more_than_100_names()
    {
        var time = new FakeTimeProvider();
        var ecs = new ScriptedEcs();
        var lookup = new ClusterLookup(new ClusterLookupOptions { Window = TimeSpan.FromSeconds(1) }, time);
        var calls = Enumerable.Range(0, 250).Select(i => lookup.FindAsync(ecs, $"b{i}", null, CancellationToken.None)).ToList();
        await Eventually.UntilAsync(() => ecs.Requests.Count >= 1, "the first full batch is sent without waiting for the window");
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(calls);
        ecs.Requests.Should().HaveCount(3).And.OnlyContain(r => r.Count <= 100);
        ecs.Requests.SelectMany(r => r).Should().OnlyHaveUniqueItems().And.HaveCount(250);
    }

    [Test]
    public async Task Each_name_gets_its_own_exact_answer()
    {
        var ecs = new ScriptedEcs { Held = true };
        ecs.Add("live");
        ecs.Add("deleted", ClusterStatus.Inactive);
        ecs.Add("provisioning", ClusterStatus.Provisioning);
        ecs.Fail("refused", "ACCESS_DENIED");
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        var blocker = lookup.FindAsync(ecs, "blocker", null, CancellationToken.None);
        await Eventually.UntilAsync(() => ecs.Requests.Count == 1, "the first call is sent");
        var live = lookup.FindAsync(ecs, "live", null, CancellationToken.None);
        var deleted = lookup.FindAsync(ecs, "deleted", null, CancellationToken.None);
        var missing = lookup.FindAsync(ecs, "missing", null, CancellationToken.None);
        var provisioning = lookup.FindAsync(ecs, "provisioning", null, CancellationToken.None);
        var refused = lookup.FindAsync(ecs, "refused", null, CancellationToken.None);
        ecs.ReleaseAll();
        await blocker;
        await Eventually.UntilAsync(() => ecs.Requests.Count == 2, "the five names are sent together");
        ecs.ReleaseAll();

        (await live)!.ClusterName.Should().Be("live");
        (await deleted).Should().BeNull("INACTIVE is deleted");
        (await missing).Should().BeNull("MISSING is not found");
        (await provisioning)!.Status.Should().Be(ClusterStatus.Provisioning);
        var failure = await refused.Invoking(t => t).Should().ThrowAsync<EcsException>();
        failure.Which.ErrorCode.Should().Be("ACCESS_DENIED");
        failure.Which.Retryable.Should().BeTrue();
        ecs.Requests[1].Should().HaveCount(5);
    }

    [Test]
    public async Task A_failed_call_fails_its_own_names_only()
    {
        var ecs = new ScriptedEcs { Held = true };
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        var first = lookup.FindAsync(ecs, "x", null, CancellationToken.None);
        await Eventually.UntilAsync(() => ecs.Requests.Count == 1, "the first call is sent");
        var second = lookup.FindAsync(ecs, "y", null, CancellationToken.None);
        ecs.ReleaseAll(new HttpRequestException("connection reset"));
        await first.Invoking(t => t).Should().ThrowAsync<HttpRequestException>();
        await Eventually.UntilAsync(() => ecs.Requests.Count == 2, "the next caller gets its own call");
        ecs.ReleaseAll();
        (await second).Should().BeNull();
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task One_callers_cancellation_does_not_fail_the_others(int seed)
    {
        var random = new Random(seed);
        var ecs = new ScriptedEcs { Held = true };
        ecs.Add("shared");
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        var blocker = lookup.FindAsync(ecs, "blocker", null, CancellationToken.None);
        await Eventually.UntilAsync(() => ecs.Requests.Count == 1, "the first call is sent");
        // Several callers of one name and of other names; a random subset of them gives up before and while the call runs.
        var callers = Enumerable.Range(0, 8).Select(i => (Name: i % 2 == 0 ? "shared" : $"other{i}", Cts: new CancellationTokenSource())).ToList();
        var tasks = callers.Select(c => lookup.FindAsync(ecs, c.Name, null, c.Cts.Token)).ToList();
        var cancelled = Enumerable.Range(0, callers.Count).Where(_ => random.Next(2) == 0).ToHashSet();
        cancelled.Remove(0); // at least one caller of "shared" stays
        foreach (var i in cancelled.Where(i => i < 4))
        {
            await callers[i].Cts.CancelAsync();
        }
        ecs.ReleaseAll();
        await blocker;
        await Eventually.UntilAsync(() => ecs.Requests.Count == 2, "the waiting callers are sent together");
        foreach (var i in cancelled.Where(i => i >= 4))
        {
            await callers[i].Cts.CancelAsync();
        }
        ecs.ReleaseAll();
        for (var i = 0; i < callers.Count; i++)
        {
            if (cancelled.Contains(i))
            {
                await tasks[i].Invoking(t => t).Should().ThrowAsync<OperationCanceledException>($"seed {seed}: caller {i} gave up");
            }
            else
            {
                var found = await tasks[i];
                (found?.ClusterName).Should().Be(callers[i].Name == "shared" ? "shared" : null, $"seed {seed}: caller {i}");
            }
        }
        ecs.CancelledCalls.Should().Be(0, $"seed {seed}: a call others still wait for is never cancelled");
        ecs.Requests[1].Should().NotContain(cancelled.Where(i => i < 4 && i % 2 == 1).Select(i => $"other{i}"),
            $"seed {seed}: names nobody waits for any more are left out");
    }

    [Test]
    public async Task The_call_is_cancelled_once_every_caller_gave_up()
    {
        var time = new FakeTimeProvider();
        var ecs = new ScriptedEcs { Held = true };
        var lookup = new ClusterLookup(new ClusterLookupOptions { Window = TimeSpan.FromMilliseconds(20) }, time);
        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        var first = lookup.FindAsync(ecs, "x", null, a.Token);
        var second = lookup.FindAsync(ecs, "x", null, b.Token);
        time.Advance(TimeSpan.FromMilliseconds(20));
        await Eventually.UntilAsync(() => ecs.Requests.Count == 1, "the call is sent");
        ecs.Requests[0].Should().Equal("x");
        await a.CancelAsync();
        ecs.CancelledCalls.Should().Be(0, "one caller still waits");
        await b.CancelAsync();
        await Eventually.UntilAsync(() => ecs.CancelledCalls == 1, "the call is cancelled");
        await first.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        await second.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public async Task Upcoming_names_are_read_ahead_and_only_not_found_answers_are_kept_once_until_they_expire()
    {
        var time = new FakeTimeProvider();
        var ecs = new ScriptedEcs();
        ecs.Add("taken");
        var lookup = new ClusterLookup(NoWindow with { PrefetchTtl = TimeSpan.FromSeconds(60) }, time);
        string[] upcoming = ["new-1", "taken", "new-2", "new-3", "not valid!"];

        (await lookup.FindAsync(ecs, "new-0", () => upcoming, CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().ContainSingle().Which.Should().Equal("new-0", "new-1", "taken", "new-2", "new-3");

        (await lookup.FindAsync(ecs, "new-1", null, CancellationToken.None)).Should().BeNull();
        (await lookup.FindAsync(ecs, "new-2", null, CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().HaveCount(1, "not found was read ahead");

        (await lookup.FindAsync(ecs, "taken", null, CancellationToken.None))!.ClusterName.Should().Be("taken");
        ecs.Requests.Should().HaveCount(2, "a found cluster is always read by the lookup that acts on it");

        (await lookup.FindAsync(ecs, "new-1", null, CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().HaveCount(3, "a read-ahead answer serves one lookup only");

        time.Advance(TimeSpan.FromSeconds(61));
        ecs.Add("new-3"); // created meanwhile (elsewhere)
        (await lookup.FindAsync(ecs, "new-3", null, CancellationToken.None))!.ClusterName.Should().Be("new-3", "an expired answer is not used");
        ecs.Requests.Should().HaveCount(4);
    }

    [Test]
    public async Task A_name_its_own_lookup_asked_for_is_not_read_ahead_again_while_it_is_being_created()
    {
        var ecs = new ScriptedEcs();
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        (await lookup.FindAsync(ecs, "a", () => ["b"], CancellationToken.None)).Should().BeNull();
        (await lookup.FindAsync(ecs, "b", null, CancellationToken.None)).Should().BeNull("read ahead");
        ecs.Add("b"); // its reconcile creates it now
        (await lookup.FindAsync(ecs, "c", () => ["b", "d"], CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().HaveCount(2);
        ecs.Requests[1].Should().Equal(["c", "d"], "b was just looked up by its own reconcile, which is creating it");
    }

    [Test]
    public async Task A_deletions_check_never_takes_a_creates_not_found_read_ahead()
    {
        var ecs = new ScriptedEcs();
        var lookup = new ClusterLookup(NoWindow, new FakeTimeProvider());
        (await lookup.FindAsync(ecs, "a", () => ["b"], CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().ContainSingle().Which.Should().Equal("a", "b");
        ecs.Add("b"); // created since, e.g. by its own pass on the same credentials

        // Acting on the kept "not found" would finalize b's object and leave its cluster in ECS.
        (await lookup.FindForDeletionAsync(ecs, "b", () => [], CancellationToken.None))!.ClusterName.Should().Be("b");
        ecs.Requests.Should().HaveCount(2, "the check before DeleteCluster reads ECS itself");
    }

    [Test]
    public async Task A_deletions_read_ahead_answers_each_other_deletions_check_once_found_or_not()
    {
        var time = new FakeTimeProvider();
        var ecs = new ScriptedEcs();
        ecs.Add("x");
        ecs.Add("y");
        var lookup = new ClusterLookup(NoWindow with { PrefetchTtl = TimeSpan.FromSeconds(60) }, time);
        (await lookup.FindForDeletionAsync(ecs, "x", () => ["y", "gone"], CancellationToken.None))!.ClusterName.Should().Be("x");
        ecs.Requests.Should().ContainSingle().Which.Should().Equal("x", "y", "gone");

        (await lookup.FindForDeletionAsync(ecs, "y", () => [], CancellationToken.None))!.ClusterName.Should().Be("y");
        (await lookup.FindForDeletionAsync(ecs, "gone", () => [], CancellationToken.None)).Should().BeNull();
        ecs.Requests.Should().HaveCount(1, "both answers were read ahead");

        (await lookup.FindForDeletionAsync(ecs, "y", () => [], CancellationToken.None))!.ClusterName.Should().Be("y");
        ecs.Requests.Should().HaveCount(2, "a read-ahead answer serves one check only");
        time.Advance(TimeSpan.FromSeconds(61));
        (await lookup.FindForDeletionAsync(ecs, "z", () => ["x"], CancellationToken.None)).Should().BeNull();
        (await lookup.FindForDeletionAsync(ecs, "x", () => [], CancellationToken.None))!.ClusterName.Should().Be("x");
        ecs.Requests.Should().HaveCount(3, "x was read ahead again by z's check");
    }

    /// <summary>DescribeClusters over a name → cluster map, optionally held until the test releases it.</summary>
    private sealed class ScriptedEcs : IEcsClient
    {
        private readonly Dictionary<string, Cluster> _clusters = [];
        private readonly Dictionary<string, string> _failures = [];
        private readonly List<TaskCompletionSource<Exception?>> _held = [];
        private int _cancelled;

        public bool Held { get; init; }
        public List<IReadOnlyList<string>> Requests { get; } = [];
        public int CancelledCalls => Volatile.Read(ref _cancelled);

        public void Add(string name, string status = ClusterStatus.Active) =>
            _clusters[name] = new Cluster { ClusterName = name, ClusterArn = $"arn:aws:ecs:eu-west-1:123456789012:cluster/{name}", Status = status };

        public void Fail(string name, string reason) => _failures[name] = reason;

        public void ReleaseAll(Exception? error = null)
        {
            lock (_held)
            {
                _held.ForEach(h => h.TrySetResult(error));
                _held.Clear();
            }
        }

        public async Task<DescribeClustersResponse> DescribeClustersAsync(DescribeClustersRequest request, CancellationToken cancellationToken = default)
        {
            var gate = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_held)
            {
                Requests.Add([.. request.Clusters!]);
                if (Held)
                {
                    _held.Add(gate);
                }
                else
                {
                    gate.SetResult(null);
                }
            }
            try
            {
                if (await gate.Task.WaitAsync(cancellationToken) is { } error)
                {
                    throw error;
                }
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
            var names = request.Clusters!;
            return new DescribeClustersResponse
            {
                Clusters = [.. names.Where(_clusters.ContainsKey).Select(n => _clusters[n])],
                Failures = [.. names.Where(n => !_clusters.ContainsKey(n)).Select(n =>
                    new Failure($"arn:aws:ecs:eu-west-1:123456789012:cluster/{n}", _failures.GetValueOrDefault(n, "MISSING")))],
            };
        }

        public Task<CreateClusterResponse> CreateClusterAsync(CreateClusterRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<UpdateClusterResponse> UpdateClusterAsync(UpdateClusterRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<UpdateClusterSettingsResponse> UpdateClusterSettingsAsync(UpdateClusterSettingsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<PutClusterCapacityProvidersResponse> PutClusterCapacityProvidersAsync(PutClusterCapacityProvidersRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<TagResourceResponse> TagResourceAsync(TagResourceRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<UntagResourceResponse> UntagResourceAsync(UntagResourceRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListTagsForResourceResponse> ListTagsForResourceAsync(ListTagsForResourceRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<DeleteClusterResponse> DeleteClusterAsync(DeleteClusterRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<DescribeCapacityProvidersResponse> DescribeCapacityProvidersAsync(DescribeCapacityProvidersRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListServicesResponse> ListServicesAsync(ListServicesRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListContainerInstancesResponse> ListContainerInstancesAsync(ListContainerInstancesRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
