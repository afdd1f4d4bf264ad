using Operator.Core.Aws.Resilience;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Restart / failover at scale (<c>scenarios --failover</c>): N converged ECSClusters are seeded (with wide client
/// buckets and the ECS throttle suspended: seeding is not what is measured), then the operator is restarted with the
/// product defaults (plus <c>--set</c> options) under ECS's documented read limit, which is what a new leader does:
/// list every kind, then start the controllers. Measured: A) the restart over converged clusters — DescribeClusters,
/// reconciles, time until every cluster is confirmed by the drift scanner's batches (its
/// <c>ecscluster_drift_scanned_total</c> reaching N), and the time until a spec change made right after the restart is
/// applied; B) a restart over N clusters whose status is not converged (observedGeneration reset), so that every one
/// is reconciled one by one at low priority — the backlog — and a spec change made once that backlog is being worked
/// on: the time until it is applied and the reconciles that ran before it. Figures go to the runner's table.
/// </summary>
internal static class FailoverScenario
{
    private static readonly TokenBucketOptions EcsDocumentedReadLimit = new(50, 20);

    public static async Task<int> RunAsync(ScenarioOptions o, ResultTable results)
    {
        var n = o.Clusters;
        var ok = true;
        Console.WriteLine($"Failover scenarios: N={n}, ECS throttle={(o.Throttle ? "50/20 per account" : "off")}, restart settings={string.Join(",", o.Settings.Select(kv => $"{kv.Key}={kv.Value}"))}");
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions { AccountThrottle = o.Throttle ? EcsDocumentedReadLimit : null });
        using var reconciles = new ReconcileCounter("ecscluster");
        using var scanned = new ScannedCounter();
        var restartSettings = new Dictionary<string, string?>(o.Settings) { ["ResyncPeriod"] = o.Resync.ToString() };
        var names = Enumerable.Range(0, n).Select(i => $"bench-{i:D5}").ToArray();

        // Seed N converged clusters.
        stack.Aws.ThrottleSuspended = true;
        await stack.StartOperatorAsync(new Dictionary<string, string?>(restartSettings)
        {
            ["AwsReadBurst"] = "1000", ["AwsReadQps"] = "1000", ["AwsWriteBurst"] = "1000", ["AwsWriteQps"] = "1000", ["Workers"] = "16",
        });
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = o.Writers }, async (name, _) =>
            await stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(ScenarioStack.NewCluster(name, o.AsApplied),
                ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName));
        ok &= await ScenarioRunner.WaitAsync(() => stack.OperatorCache.List().Count(ScenarioRunner.IsReady) == n, o.Timeout);
        await stack.StopOperatorAsync();
        stack.Aws.ThrottleSuspended = false;
        results.Add("failover", "seeded converged clusters", $"{(await ScenarioRunner.ListAllAsync(stack.Client)).Count(ScenarioRunner.IsReady)}/{n}");

        ok &= await RestartsAsync(stack, names, restartSettings, reconciles, scanned, o, results);
        Console.WriteLine();
        Console.WriteLine($"Failover scenarios, N = {n} ({Environment.ProcessorCount} CPUs, {(o.Throttle ? "ECS throttle 50/20" : "no ECS throttle")}):");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// Scenarios A and B over <paramref name="names"/>, which must all be converged in the API with the operator
    /// stopped; ECS's documented read limit applies for both (the throttle is un-suspended), and the operator is
    /// started with <paramref name="restartSettings"/> only (the product defaults unless the caller adds some). Leaves
    /// the operator stopped; every cluster is converged again when N ≤ 2,000. Above that B does not wait for the whole
    /// backlog (at 10,000, one DescribeClusters each at the default 15/s is about 11 minutes): it measures what a user's
    /// change waits for, and the objects B reset and did not reach yet are left for the caller's next operator.
    /// </summary>
    internal static async Task<bool> RestartsAsync(ScenarioStack stack, string[] names, IReadOnlyDictionary<string, string?> restartSettings,
        ReconcileCounter reconciles, ScannedCounter scanned, ScenarioOptions o, ResultTable results)
    {
        var n = names.Length;
        var ok = true;
        var suspended = stack.Aws.ThrottleSuspended;
        stack.Aws.ThrottleSuspended = false;
        try
        {
            // A. Restart over converged clusters, with a spec change made as soon as the operator is up.
            var at = DateTimeOffset.UtcNow;
            var watch = Stopwatch.StartNew();
            var r0 = reconciles.Total;
            var s0 = scanned.Total;
            await stack.StartOperatorAsync(restartSettings);
            var changed = names[n - 1];
            var generation = await ChangeSpecAsync(stack, changed, "FARGATE");
            var changeAt = watch.Elapsed;
            var applied = await ScenarioRunner.WaitAsync(() => Applied(stack, changed, generation), o.Timeout, TimeSpan.FromMilliseconds(50));
            var appliedAfter = watch.Elapsed - changeAt;
            // The changed cluster is not converged for its generation: it is reconciled instead of confirmed.
            var confirmed = await ScenarioRunner.WaitAsync(() => scanned.Total - s0 >= n - 1, o.Timeout, TimeSpan.FromMilliseconds(50));
            var confirmedAfter = watch.Elapsed;
            ok &= applied && confirmed;
            var describes = Count(stack, at, "DescribeClusters");
            results.Add("failover A", "DescribeClusters for the restart", $"{describes} (⌈N/100⌉ = {(n + 99) / 100})",
                n <= 1000 ? "≤ 15" : $"≤ {(n + 99) / 100 + (int)Math.Ceiling(0.02 * n)}");
            results.Add("failover A", "time until every cluster confirmed (from start)", confirmed ? Secs(confirmedAfter) : "TIMEOUT", n > 1000 ? "≤ 60 s" : "");
            results.Add("failover A", "reconciles (the spec change's included)", (reconciles.Total - r0).ToString(CultureInfo.InvariantCulture), "1");
            results.Add("failover A", "spec change right after start: time until applied", applied ? Secs(appliedAfter) : "TIMEOUT", "≤ 5 s");
            results.Add("failover A", "ThrottlingException", Count(stack, at, "DescribeClusters", "ThrottlingException").ToString(CultureInfo.InvariantCulture), "0");
            await ScenarioRunner.WaitAsync(() => stack.OperatorCache.List().Count(ScenarioRunner.IsReady) == n, o.Timeout);
            await stack.StopOperatorAsync();

            // B. Restart over N clusters that are not converged: every one is reconciled, at low priority.
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = o.Writers }, async (name, _) =>
                await stack.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                    new V1Patch(new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = 0 } }.ToJsonString(), V1Patch.PatchType.MergePatch),
                    ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName, name));
            at = DateTimeOffset.UtcNow;
            watch.Restart();
            r0 = reconciles.Total;
            var d0 = reconciles.Deferred;
            await stack.StartOperatorAsync(restartSettings);
            ok &= await ScenarioRunner.WaitAsync(() => reconciles.Total - r0 >= Math.Min(20, n / 10), o.Timeout, TimeSpan.FromMilliseconds(20));
            var before = reconciles.Total - r0;
            changed = names[n - 2];
            generation = await ChangeSpecAsync(stack, changed, "FARGATE_SPOT");
            changeAt = watch.Elapsed;
            applied = await ScenarioRunner.WaitAsync(() => Applied(stack, changed, generation), o.Timeout, TimeSpan.FromMilliseconds(50));
            appliedAfter = watch.Elapsed - changeAt;
            var between = reconciles.Total - r0 - before;
            ok &= applied;
            if (n <= 2000)
            {
                var drained = await ScenarioRunner.WaitAsync(() => stack.OperatorCache.List().Count(ScenarioRunner.IsReady) == n, o.Timeout);
                ok &= drained;
                results.Add("failover B", "backlog: time until every cluster converged again; reconciles (per cluster); deferred for a busy provider",
                    drained ? $"{Secs(watch.Elapsed)}; {reconciles.Total - r0} ({(double)(reconciles.Total - r0) / n:0.00}); {reconciles.Deferred - d0}" : "TIMEOUT");
            }
            else
            {
                results.Add("failover B", "backlog when the change was applied: converged / reconciles so far (not waited for the rest)",
                    $"{stack.OperatorCache.List().Count(ScenarioRunner.IsReady)} of {n} after {Secs(watch.Elapsed)} / {reconciles.Total - r0}");
            }
            results.Add("failover B", "spec change during the backlog: time until applied", applied ? Secs(appliedAfter) : "TIMEOUT", "≤ 5 s");
            results.Add("failover B", "reconciles before the change / between it and its apply", $"{before} / {between} (backlog {n})");
            results.Add("failover B", "AWS calls by operation", string.Join(", ", stack.Aws.Calls.Snapshot().Where(c => c.At >= at)
                .GroupBy(c => c.Operation + (c.ErrorCode is { } e ? $"({e})" : "")).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
            await stack.StopOperatorAsync();
        }
        finally
        {
            stack.Aws.ThrottleSuspended = suspended;
        }
        return ok;
    }

    private static async Task<long> ChangeSpecAsync(ScenarioStack stack, string name, string capacityProvider)
    {
        var patched = await stack.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["capacityProviders"] = new JsonArray(capacityProvider) } }.ToJsonString(), V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName, name);
        return EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(patched)).Metadata.Generation ?? 0;
    }

    private static bool Applied(ScenarioStack stack, string name, long generation) =>
        stack.OperatorCache.Get($"{ScenarioStack.Namespace}/{name}") is { Status: { } s } c
        && s.ObservedGeneration >= generation && ScenarioRunner.IsReady(c);

    private static int Count(ScenarioStack stack, DateTimeOffset since, string operation, string? error = null) =>
        stack.Aws.Calls.Snapshot().Count(c => c.At >= since && c.Operation == operation && (error is null || c.ErrorCode == error));

    private static string Secs(TimeSpan t) => $"{t.TotalSeconds:0.00} s";
}

/// <summary>The drift scanner's <c>ecscluster_drift_scanned_total</c>: clusters compared with AWS in a batch.</summary>
internal sealed class ScannedCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public ScannedCounter()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Operator.Clusters" && instrument.Name == "ecscluster_drift_scanned_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
