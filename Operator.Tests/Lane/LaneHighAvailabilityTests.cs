using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Lane;

/// <summary>
/// Two operator replicas as separate processes (the binary under test: Operator.dll, or the Native AOT executable
/// with OPERATOR_BINARY) with leader election on, as the shipped ServiceAccount, on both backends with the same code:
/// the leader renews its Lease every retry period; an API server restart, graceful or hard, ends with exactly one
/// leader; kill -9 of the leader during 20 creations hands over to the standby and every cluster is created once;
/// SIGTERM of a leader stuck in an AWS call releases the Lease to the standby; a Lease deleted by hand never gives
/// two replicas reconciling at once; a replica started while a Lease exists, held or expired, runs. Failover times
/// are printed (measured, never asserted). Timings: client-go's defaults on the real server; on the emulator, the
/// same ratios shortened (lease 6 s, renew deadline 4 s, retry 1 s) to keep the suite short, with a 2 s drain (not the
/// lease duration) and 4 AWS writes a second (not 2): the 20 creations still take seconds, so the kill lands among them.
/// A replica that stops is started again under the same name, as a kubelet restarts a crashed container.
/// </summary>
[TestFixtureSource(typeof(Lanes), nameof(Lanes.Backends))]
public sealed class LaneHighAvailabilityTests(LaneBackend backend)
{
    private const string LeaseNamespace = "infra-operator-system";
    private const string LeaseName = "infra-operator-leader";

    private readonly TimeSpan _leaseDuration = backend == LaneBackend.Real ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(6);
    private readonly TimeSpan _renewDeadline = backend == LaneBackend.Real ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(4);
    private readonly TimeSpan _retryPeriod = backend == LaneBackend.Real ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(1);
    private readonly string[] _pace = backend == LaneBackend.Real
        ? ["--aws-write-qps", "2", "--aws-write-burst", "2"]
        : ["--aws-write-qps", "4", "--aws-write-burst", "2", "--drain-timeout", "00:00:02"];
    private readonly Dictionary<string, LaneProcess> _replicas = new(StringComparer.Ordinal);
    private LaneEnvironment _lane = null!;
    private int _generation;

    private TimeSpan Patience => _leaseDuration * 4 + TimeSpan.FromSeconds(60);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _lane = await LaneEnvironment.StartAsync(backend);
        await _lane.Plane.KubectlAsync(["apply", "-f", Path.Combine(Operator.Testing.RepositoryLayout.SampleDirectory, "secret-aws-credentials.yaml"),
            "-f", Path.Combine(Operator.Testing.RepositoryLayout.SampleDirectory, "awsprovider-static.yaml")]);
        StartReplica("replica-a");
        StartReplica("replica-b");
        await WaitForOneLeaderAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_lane is not null)
        {
            await _lane.DisposeAsync();
        }
    }

    [SetUp]
    public async Task BothReplicasRunAsync()
    {
        foreach (var name in new[] { "replica-a", "replica-b" })
        {
            if (!_replicas.TryGetValue(name, out var replica) || replica.HasExited)
            {
                StartReplica(name);
            }
        }
        await WaitForOneLeaderAsync();
    }

    [Test, Order(1)]
    public async Task The_leader_renews_the_Lease_every_retry_period_and_only_it_leads()
    {
        var leader = await WaitForOneLeaderAsync();
        var renewals = new List<DateTime>();
        var lease = await ReadLeaseAsync();
        renewals.Add(lease!.Spec.RenewTime!.Value);
        await Eventually.UntilAsync(async () =>
        {
            var now = (await ReadLeaseAsync())!.Spec;
            if (now.RenewTime!.Value != renewals[^1])
            {
                now.HolderIdentity.Should().Be(leader.Identity);
                renewals.Add(now.RenewTime.Value);
            }
            return renewals.Count >= 4;
        }, "three renewals of the Lease", Patience, TimeSpan.FromMilliseconds(200));
        var gaps = renewals.Zip(renewals.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: renewals every {string.Join(", ", gaps.Select(g => g.ToString("0.00", CultureInfo.InvariantCulture)))} s (retry period {_retryPeriod.TotalSeconds} s)");
        var standby = _replicas.Values.Single(r => r != leader);
        (await standby.LeadsAsync()).Should().BeFalse("only the holder runs the controllers");
    }

    [TestCase(false), Order(2)]
    [TestCase(true)]
    public async Task An_apiserver_restart_leaves_exactly_one_leader(bool hard)
    {
        var leaderBefore = await WaitForOneLeaderAsync();
        var lastRenewal = (await ReadLeaseAsync())!.Spec.RenewTime!.Value.ToUniversalTime();
        var started = Stopwatch.GetTimestamp();
        await _lane.Plane.RestartApiServerAsync(hard, TimeSpan.FromSeconds(1));
        var outage = Stopwatch.GetElapsedTime(started);
        var back = DateTime.UtcNow;
        // The leader's renew deadline runs from its last renewal before the restart, and its first attempt after the
        // restart comes up to a retry period later: only when that whole gap is inside the deadline must nothing change
        // (on a busy machine the restart alone can take most of the deadline).
        var withoutRenewal = back - lastRenewal + _retryPeriod;
        await Eventually.UntilAsync(async () => await ReadLeaseAsync() is { } l && l.Spec.RenewTime > back.AddSeconds(-1),
            "a renewal after the restart", Patience, TimeSpan.FromMilliseconds(250));
        var exited = _replicas.Values.Where(r => r.HasExited).Select(r => r.Identity).ToList();
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: {(hard ? "SIGKILL" : "SIGTERM")} restart, unavailable {outage.TotalSeconds:0.0} s; replicas that stopped: {(exited.Count == 0 ? "none" : string.Join(", ", exited))}");
        exited.Should().NotContain(_replicas.Values.Where(r => r != leaderBefore).Select(r => r.Identity),
            "a standby retries its acquire for ever and never stops");
        if (withoutRenewal < _renewDeadline - TimeSpan.FromSeconds(1))
        {
            exited.Should().BeEmpty($"an outage that leaves the leader {withoutRenewal.TotalSeconds:0.0} s without a renewal, inside its renew deadline, changes nothing; output:\n" + Outputs());
        }
        await BothReplicasRunAsync();
        foreach (var replica in _replicas.Values)
        {
            replica.Errors.Where(l => !l.Contains("Lost leadership", StringComparison.Ordinal) && !l.Contains("leader election lost", StringComparison.Ordinal))
                .Should().BeEmpty($"{replica.Identity} reports nothing but a lost Lease as an error");
        }
    }

    [Test, Order(3)]
    public async Task Kill_9_of_the_leader_during_20_creations_hands_over_and_creates_every_cluster_once()
    {
        var leader = await WaitForOneLeaderAsync();
        var names = Enumerable.Range(0, 20).Select(i => $"kill-{i:00}").ToList();
        await ApplyClustersAsync(names);
        await Eventually.UntilAsync(() => names.Count(n => _lane.OperatorCallsNaming(n).Contains("CreateCluster")) >= 3,
            "the leader to be creating", Patience);
        await leader.Child.SignalAsync("KILL");
        var killed = Stopwatch.GetTimestamp();
        var next = await WaitForOneLeaderAsync(except: leader.Identity);
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: kill -9 failover to {next.Identity} in {Stopwatch.GetElapsedTime(killed).TotalSeconds:0.0} s (lease {_leaseDuration.TotalSeconds} s + retry {_retryPeriod.TotalSeconds} s)");

        foreach (var name in names)
        {
            await _lane.WaitReadyAsync("default", name, Patience);
        }
        await AssertCreatedOnceAsync(names);
    }

    [Test, Order(4)]
    public async Task SIGTERM_of_a_leader_stuck_in_an_AWS_call_releases_the_Lease_to_the_standby()
    {
        var leader = await WaitForOneLeaderAsync();
        var hold = _lane.Aws.Faults.HoldNext("CreateCluster");
        await ApplyClustersAsync(["stuck"]);
        await hold.Reached.WaitAsync(Patience);

        await leader.Child.SignalAsync("TERM");
        (await leader.Child.WaitForExitAsync(Patience)).Should().BeTrue("the drain is bounded and the hung call cancelled");
        var exitedAt = Stopwatch.GetTimestamp();
        leader.Child.ExitCode.Should().Be(0, "a graceful stop is not a failure");
        var next = await WaitForOneLeaderAsync(except: leader.Identity);
        TestContext.Progress.WriteLine($"{_lane.Plane.Description}: {next.Identity} led {Stopwatch.GetElapsedTime(exitedAt).TotalSeconds:0.0} s after the SIGTERM'd leader exited");
        leader.Output.Should().Contain("Released Lease", "the stopping leader released the Lease instead of letting it expire");
        hold.Release();
        await _lane.WaitReadyAsync("default", "stuck", Patience);
    }

    [Test, Order(5)]
    public async Task A_Lease_deleted_by_hand_never_gives_two_replicas_reconciling_at_once()
    {
        var leader = await WaitForOneLeaderAsync();
        var names = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var creating = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var name = $"split-{i:000}";
                names.Enqueue(name);
                await ApplyClustersAsync([name]);
                await Task.Delay(250, CancellationToken.None);
            }
        });
        await Eventually.UntilAsync(() => names.Count > 4, "clusters being created", Patience);
        await _lane.Admin.CoordinationV1.DeleteNamespacedLeaseAsync(LeaseName, LeaseNamespace);
        await Eventually.UntilAsync(() => leader.HasExited, "the leader to step down when it sees its Lease gone", Patience);
        await WaitForOneLeaderAsync(except: leader.Identity);
        await stop.CancelAsync();
        await creating;

        foreach (var name in names)
        {
            await _lane.WaitReadyAsync("default", name, Patience);
        }
        await AssertCreatedOnceAsync([.. names]);
        leader.Output.Should().Contain("Lost leadership");
    }

    [Test, Order(6)]
    public async Task A_replica_started_while_the_Lease_is_held_waits_and_one_started_after_it_expired_leads()
    {
        var leader = await WaitForOneLeaderAsync();
        var third = StartReplica("replica-c");
        await Eventually.UntilAsync(async () => await third.LeadsAsync() is not null, "the third replica to serve its metrics", Patience);
        var before = (await ReadLeaseAsync())!.Spec.RenewTime;
        await Eventually.UntilAsync(async () => (await ReadLeaseAsync())!.Spec.RenewTime > before!.Value.AddSeconds(_retryPeriod.TotalSeconds * 3),
            "the leader to keep renewing while the third replica waits", Patience, TimeSpan.FromMilliseconds(250));
        third.HasExited.Should().BeFalse("a replica started while the Lease is held runs as a standby:\n" + third.Output);
        (await third.LeadsAsync()).Should().BeFalse();

        // Every replica killed at once: the Lease stays, held by a dead replica, and expires.
        foreach (var replica in _replicas.Values)
        {
            await replica.Child.SignalAsync("KILL");
        }
        foreach (var replica in _replicas.Values)
        {
            await replica.Child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        (await ReadLeaseAsync())!.Spec.HolderIdentity.Should().Be(leader.Identity);
        var fresh = StartReplica("replica-d");
        await Eventually.UntilAsync(async () => await fresh.LeadsAsync() == true, "a replica started on an expired Lease to lead", Patience);
        fresh.HasExited.Should().BeFalse();
        await ApplyClustersAsync(["after-expiry"]);
        await _lane.WaitReadyAsync("default", "after-expiry", Patience);
        await fresh.Child.StopAsync(TimeSpan.FromSeconds(60));
        _replicas.Remove("replica-c");
        _replicas.Remove("replica-d");
    }

    private LaneProcess StartReplica(string name)
    {
        var identity = $"{name}-{++_generation}";
        var replica = _lane.StartProcess(identity,
        [
            "--leader-election-lease-duration", _leaseDuration.ToString(), "--leader-election-renew-deadline", _renewDeadline.ToString(),
            "--leader-election-retry-period", _retryPeriod.ToString(), .. _pace,
        ]);
        _replicas[name] = replica;
        return replica;
    }

    /// <summary>Waits until exactly one running replica leads (by its metric) and holds the Lease; returns it.</summary>
    private async Task<LaneProcess> WaitForOneLeaderAsync(string? except = null)
    {
        LaneProcess? leader = null;
        await Eventually.UntilAsync(async () =>
        {
            var leading = new List<LaneProcess>();
            foreach (var replica in _replicas.Values.Where(r => !r.HasExited))
            {
                if (await replica.LeadsAsync() == true)
                {
                    leading.Add(replica);
                }
            }
            leading.Count.Should().BeLessThanOrEqualTo(1, "two replicas must never lead at once");
            var lease = await ReadLeaseAsync();
            leader = leading.SingleOrDefault(r => r.Identity == lease?.Spec.HolderIdentity && r.Identity != except);
            return leader is not null;
        }, () => $"one leader{(except is null ? "" : $" other than {except}")} on {_lane.Plane.Description}; output:\n{Outputs()}",
            Patience, TimeSpan.FromMilliseconds(200));
        return leader!;
    }

    private async Task ApplyClustersAsync(IEnumerable<string> names)
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray([.. names.Select(n => (JsonNode)new JsonObject
            {
                ["apiVersion"] = ApiGroup.ApiVersion,
                ["kind"] = ECSCluster.KindName,
                ["metadata"] = new JsonObject { ["name"] = n, ["namespace"] = "default" },
                ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "localstack" }, ["clusterName"] = n },
            })]),
        };
        await _lane.ApplyAsync(list);
    }

    /// <summary>Each cluster was created by one CreateCluster call and announced by at most one Created Event: no two replicas reconciled it.</summary>
    private async Task AssertCreatedOnceAsync(IReadOnlyList<string> names)
    {
        var events = await _lane.Admin.CoreV1.ListNamespacedEventAsync("default");
        foreach (var name in names)
        {
            _lane.OperatorCallsNaming(name).Count(op => op == "CreateCluster").Should().Be(1, $"{name} was created once");
            (await _lane.DescribeAsync(name))!.Tags!.Should().Contain(t => t.Key == Ownership.TagKey && t.Value == $"default/{name}");
            // At most one: a replica killed right after its CreateCluster takes its queued Event with it.
            events.Items.Where(e => e.InvolvedObject.Name == name && e.Reason == LifecycleReasons.Created).Sum(e => e.Count ?? 1)
                .Should().BeLessThanOrEqualTo(1, $"no second Created Event for {name}");
        }
    }

    private async Task<V1Lease?> ReadLeaseAsync()
    {
        try
        {
            return await _lane.Admin.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, LeaseNamespace);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode is 403 or 429 or >= 500)
        {
            return null; // an API server still starting
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private string Outputs() => string.Join("\n", _replicas.Values.Select(r =>
        $"--- {r.Identity} ({(r.HasExited ? $"exited {r.Child.ExitCode}" : "running")}):\n{string.Join('\n', r.Child.Lines.TakeLast(30))}"));
}
