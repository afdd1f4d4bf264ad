using Operator.Core.Aws.Resilience;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The scale scenarios of docs/benchmarks.md ("Scale scenarios"), run in order over one in-process stack:
/// 1 create N → all Ready (and its cost per created cluster, tail included); 2 steady state over several resync periods
/// (and the naive and Go-original baselines over the same objects); 3 drift on a percentage of clusters, out of band;
/// memory (the informer's bytes per cached ECSCluster, the operator process alone); restart / failover A and B with
/// product defaults (<see cref="FailoverScenario"/>); 4 delete all; 5 (throughout) ThrottlingExceptions seen by the
/// ECS emulator under ECS's documented per-account read bucket.
/// Prints each figure as it is measured and a table at the end. Exit code 1 when a wait timed out.
/// </summary>
internal static class ScenarioRunner
{
    private const string Team = "team";
    private static readonly TokenBucketOptions EcsDocumentedReadLimit = new(50, 20);

    public static async Task<int> RunAsync(string[] args)
    {
        var o = ScenarioOptions.Parse(args);
        var results = new ResultTable();
        if (o.OperatorProcess || o.InformerOnly || o.PublishOptions)
        {
            var code = o.PublishOptions ? await PublishOptions.RunAsync(o, results)
                : o.InformerOnly ? await OperatorProcessRss.InformerOnlyAsync(o, results) : await OperatorProcessRss.RunAsync(o, results);
            Console.WriteLine();
            results.Print(Console.Out);
            return code;
        }
        if (o.ApiServerRestart)
        {
            var code = await ApiServerRestartScenario.RunAsync(o, results);
            results.Print(Console.Out);
            return code;
        }
        if (o.LargeResponse)
        {
            var code = await LargeResponseScenario.RunAsync(o, results);
            results.Print(Console.Out);
            return code;
        }
        if (o.Failover)
        {
            var code = await FailoverScenario.RunAsync(o, results);
            results.Print(Console.Out);
            return code;
        }
        var ok = true;
        var n = o.Clusters;
        Console.WriteLine($"Scale scenarios: N={n}, writers={o.Writers}, resync={o.Resync.TotalSeconds}s, windows={o.Windows}, "
            + $"ECS throttle={(o.Throttle ? "50/20 per account" : "off")}, kubectl-applied objects={o.AsApplied}, settings={string.Join(",", o.Settings.Select(kv => $"{kv.Key}={kv.Value}"))}");
        var baselineRss = ProcessMemory.Rss();
        // The documented read limit is always there, so that restart / failover runs under it even with --no-throttle
        // (which suspends it for everything else).
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions { AccountThrottle = EcsDocumentedReadLimit });
        stack.Aws.ThrottleSuspended = !o.Throttle;
        var settings = new Dictionary<string, string?>(o.Settings) { ["ResyncPeriod"] = o.Resync.ToString() };
        using var reconciles = new ReconcileCounter("ecscluster");
        await stack.StartOperatorAsync(settings);
        ok &= await WaitAsync(() => stack.App!.Services.GetRequiredService<Informer<AWSProvider>>().Store
            .Get($"{ScenarioStack.Namespace}/{ScenarioStack.Provider}")?.Status?.Ready == true, o.Timeout);
        results.Add("setup", "RSS with emulators + idle operator", Mb(ProcessMemory.Rss()), "");

        // 1. Create N at once.
        var mark = Mark(reconciles);
        var names = Enumerable.Range(0, n).Select(i => $"bench-{i:D5}").ToArray();
        await ForEachAsync(names, o.Writers, name => stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            ScenarioStack.NewCluster(name, o.AsApplied), ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName));
        var created = mark.Elapsed;
        var allReady = await WaitAsync(() => stack.OperatorCache.List().Count(IsReady) == n, o.Timeout);
        ok &= allReady;
        var readyAfter = mark.Elapsed;
        var readyInApi = await CountReadyInApiAsync(stack.Client);
        results.Add("1 create", "objects created (API)", $"{n} in {Secs(created)}");
        results.Add("1 create", "time until all Ready", allReady ? Secs(readyAfter) : $"TIMEOUT after {Secs(readyAfter)} ({stack.OperatorCache.List().Count(IsReady)}/{n})");
        results.Add("1 create", "Ready per the API (LIST)", $"{readyInApi}/{n}");
        var r1 = reconciles.Total - mark.Reconciles;
        results.Add("1 create", "reconciles (per cluster), rate", $"{r1} ({(double)r1 / n:0.00}), {r1 / readyAfter.TotalSeconds:0.0}/s");
        results.Add("1 create", "AWS calls by operation", Ops(AwsSince(stack, mark.At)));
        results.Add("1 create", "Kubernetes requests by verb", Verbs(stack, mark.At, resourceOnly: false));
        results.Add("1 create", "peak RSS / RSS now", $"{Mb(ProcessMemory.PeakRss())} / {Mb(ProcessMemory.Rss())}");
        results.Add("1 create", "managed heap after full GC", Mb(ProcessMemory.ManagedAfterFullGc()));

        // 2. Steady state: nothing changes for several resync periods. First let the tail of the creation drain: keys the
        // drift scanner queued again while they were being created are reconciled once more when the queue reaches them.
        var settle = Mark(reconciles);
        long seen;
        do
        {
            seen = reconciles.Total;
            await Task.Delay(o.Resync);
        }
        while (reconciles.Total != seen && settle.Elapsed < o.Timeout);
        results.Add("2 steady", "settling after all Ready (no reconcile for a resync period)",
            $"{Secs(settle.Elapsed)}, {reconciles.Total - settle.Reconciles} reconciles, AWS {Ops(AwsSince(stack, settle.At))}");
        CreationCost(stack, reconciles, mark, n, results);
        if (o.CreateOnly)
        {
            Console.WriteLine();
            Console.WriteLine($"Create only, N = {n} ({Environment.ProcessorCount} CPUs, {(o.Throttle ? "ECS throttle 50/20" : "no ECS throttle")}):");
            results.Print(Console.Out);
            return ok ? 0 : 1;
        }
        var steady = await SteadyStateAsync("2 steady", stack, reconciles, o, results, writesTarget: true);

        // 3. Drift on a percentage of clusters, made directly on the ECS backend (no API call, no throttle token).
        var drifted = names.Where((_, i) => i % (int)Math.Round(100 / o.DriftPercent) == 0).ToArray();
        mark = Mark(reconciles);
        foreach (var name in drifted)
        {
            var arn = stack.OperatorCache.Get($"{ScenarioStack.Namespace}/{name}")!.Status!.ClusterARN!;
            stack.Aws.Ecs.UntagResource(ScenarioStack.Account, ScenarioStack.Region, new Ecs.UntagResourceRequest { ResourceArn = arn, TagKeys = [Team] });
        }
        var corrected = await WaitAsync(() => Untagged(stack, drifted) == 0, o.Timeout, TimeSpan.FromMilliseconds(100));
        ok &= corrected;
        results.Add("3 drift", "clusters drifted (tag removed in ECS)", drifted.Length.ToString(CultureInfo.InvariantCulture));
        results.Add("3 drift", "time until all corrected", corrected ? Secs(mark.Elapsed) : $"TIMEOUT ({Untagged(stack, drifted)} left)",
            $"≤ resync ({o.Resync.TotalSeconds:0}s) + a few s");
        results.Add("3 drift", "AWS calls by operation", Ops(AwsSince(stack, mark.At)));
        results.Add("3 drift", "reconciles", (reconciles.Total - mark.Reconciles).ToString(CultureInfo.InvariantCulture));

        // Memory of the informer alone, with the operator stopped so that nothing else allocates meanwhile.
        await stack.StopOperatorAsync();
        var (bytes, cached) = await InformerMemory.MeasureAsync(stack.Client);
        results.Add("memory", "informer cache: bytes per cached ECSCluster", $"{bytes / Math.Max(1, cached):N0} B ({cached} objects, {Mb(bytes)})", "≤ 2.6 KB");

        if (o.Naive)
        {
            // The baselines over the same objects, throttling off and client buckets wide open so that what they ask
            // for is what they get; then the product again, with its restart measured.
            stack.Aws.ThrottleSuspended = true;
            var naiveSettings = new Dictionary<string, string?>(settings)
            {
                ["AwsReadBurst"] = "100000", ["AwsReadQps"] = "100000", ["AwsWriteBurst"] = "100000", ["AwsWriteQps"] = "100000",
            };
            foreach (var (label, compose) in new (string, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder, Operator.Hosting.OperatorOptions>)[]
                     {
                         ("2 naive", NaiveBaseline.Compose), ("2 go-original", GoOriginalBaseline.Compose(stack)),
                     })
            {
                mark = Mark(reconciles);
                await stack.StartOperatorAsync(naiveSettings, compose);
                await WaitAsync(() => reconciles.Total - mark.Reconciles >= n, o.Timeout);
                var baseline = await SteadyStateAsync(label, stack, reconciles, o, results, writesTarget: false);
                var name = label[2..];
                results.Add("2 ratio", $"{name} / operator: AWS calls per cluster per resync", Ratio(baseline.Aws, steady.Aws));
                results.Add("2 ratio", $"{name} / operator: Kubernetes writes per cluster per resync", Ratio(baseline.KubeWrites, steady.KubeWrites));
                results.Add("2 ratio", $"{name} / operator: reconciles per cluster per resync", Ratio(baseline.Reconciles, steady.Reconciles));
                await stack.StopOperatorAsync();
            }
            stack.Aws.ThrottleSuspended = !o.Throttle;
        }

        // The operator process alone (as shipped: the Deployment's runtime settings), over the same N objects, taking
        // them over as after a restart: its RSS with the /proc breakdown.
        if (o.ProcessMemory)
        {
            var kubeconfig = await OperatorProcessRss.WriteKubeconfigAsync(stack);
            try
            {
                // The image's Native AOT build when its publish directory is given (--publish-dir aot=DIR), else this
                // build's Operator.dll with the same runtime settings.
                var aot = o.PublishDirs.TryGetValue("aot", out var aotDir) && Directory.Exists(aotDir);
                var shipped = aot ? PublishOptions.ShippedAot : PublishOptions.Shipped;
                var f = await PublishOptions.MeasureAsync(stack, o, kubeconfig, new OperatorVariant(shipped.Name, aot ? aotDir : null, shipped.Env, shipped.Description), n);
                results.Add("memory", $"operator process alone ({shipped.Description}), {o.Windows} resyncs after settling: RSS (peak) = anon + file + shmem",
                    f.ToString(), "≤ 110 MB at 1,000; ≤ 150 MB at 10,000");
            }
            finally
            {
                File.Delete(kubeconfig);
            }
        }

        // Restart / failover (FailoverScenario): A over the converged clusters, B over a backlog, each with the product
        // defaults only (no --set) under ECS's documented read limit; then the operator as configured for the delete.
        using (var scanned = new ScannedCounter())
        {
            ok &= await FailoverScenario.RestartsAsync(stack, names, new Dictionary<string, string?> { ["ResyncPeriod"] = o.Resync.ToString() },
                reconciles, scanned, o, results);
        }
        await stack.StartOperatorAsync(settings);
        await Task.Delay(TimeSpan.FromSeconds(2));

        // 4. Delete all N.
        mark = Mark(reconciles);
        await ForEachAsync(names, o.Writers, name => stack.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(
            ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName, name));
        var deleteRequested = mark.Elapsed;
        var gone = await WaitAsync(() => stack.OperatorCache.Count == 0, o.Timeout);
        ok &= gone;
        var goneAfter = mark.Elapsed;
        var left = stack.Aws.Ecs.ClusterCount(ScenarioStack.Account, ScenarioStack.Region, includeInactive: false);
        var leftInApi = (await ListAllAsync(stack.Client)).Count;
        results.Add("4 delete", "deletes requested (API)", $"{n} in {Secs(deleteRequested)}");
        results.Add("4 delete", "time until all objects gone", gone ? Secs(goneAfter) : $"TIMEOUT ({stack.OperatorCache.Count} left)");
        results.Add("4 delete", "objects left (LIST) / ECS clusters left", $"{leftInApi} / {left}", "0 / 0");
        results.Add("4 delete", "AWS calls by operation", Ops(AwsSince(stack, mark.At)));
        results.Add("4 delete", "Kubernetes requests by verb", Verbs(stack, mark.At, resourceOnly: false));
        results.Add("4 delete", "reconciles", (reconciles.Total - mark.Reconciles).ToString(CultureInfo.InvariantCulture));
        var deleteCalls = AwsSince(stack, mark.At).Where(kv => kv.Key is "DeleteCluster" or "DescribeClusters").Sum(kv => kv.Value);
        results.Add("4 delete", "DeleteCluster + DescribeClusters per object (drift scans during the window included) / reconciles per object",
            $"{(double)deleteCalls / n:0.000} / {(double)(reconciles.Total - mark.Reconciles) / n:0.000}", "≤ 1.05 / ≤ 1.05");

        // 5. Throttling, over the whole run (the naive window ran with throttling suspended and is not in it).
        var calls = stack.Aws.Calls.Snapshot();
        results.Add("5 throttle", "ThrottlingException seen by ECS emulator",
            o.Throttle ? $"{calls.Count(c => c.ErrorCode == "ThrottlingException")} of {calls.Count(c => c.Service == "ecs")} ECS calls" : "n/a (--no-throttle)", "0");
        results.Add("memory", "peak RSS of the process (emulators included)", Mb(ProcessMemory.PeakRss()), "≤ 150 MB (operator alone)");
        results.Add("memory", "RSS before anything started", Mb(baselineRss));

        Console.WriteLine();
        Console.WriteLine($"Scale scenarios, N = {n} ({Environment.ProcessorCount} CPUs, {(o.Throttle ? "ECS throttle 50/20" : "no ECS throttle")}):");
        results.Print(Console.Out);
        return ok ? 0 : 1;
    }

    /// <summary>What creating N cost in all, from the first create to the end of its tail: per created cluster.</summary>
    private static void CreationCost(ScenarioStack stack, ReconcileCounter reconciles, Mark mark, int n, ResultTable results)
    {
        var aws = AwsSince(stack, mark.At);
        var r = reconciles.Total - mark.Reconciles;
        var calls = stack.Aws.Calls.Snapshot().Where(c => c.At >= mark.At).ToList();
        results.Add("1 create+tail", "DescribeClusters per created cluster", $"{(double)aws.GetValueOrDefault("DescribeClusters") / n:0.000}", "≤ 1.1");
        results.Add("1 create+tail", "reconciles per created cluster", $"{(double)r / n:0.000} ({r})", "≤ 1.1");
        results.Add("1 create+tail", "CreateCluster", aws.GetValueOrDefault("CreateCluster").ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture));
        results.Add("1 create+tail", "ThrottlingException", calls.Count(c => c.ErrorCode == "ThrottlingException").ToString(CultureInfo.InvariantCulture), "0");
        results.Add("1 create+tail", "reconciles by result; queued by the drift scanner",
            $"{string.Join(", ", reconciles.ByResult.Select(kv => $"{kv.Key} {kv.Value}"))}; {reconciles.DriftQueued}");
    }

    private static string Ratio(double naive, double ours) =>
        ours == 0 ? $"{naive:0.000} vs 0 (operator: none at all)" : $"{naive / ours:0.0}x ({naive:0.0000} vs {ours:0.0000})";

    /// <summary>Per cluster per resync period: AWS calls, Kubernetes writes, reconciles.</summary>
    private readonly record struct SteadyFigures(double Aws, double KubeWrites, double Reconciles);

    private static async Task<SteadyFigures> SteadyStateAsync(string label, ScenarioStack stack, ReconcileCounter reconciles, ScenarioOptions o, ResultTable results, bool writesTarget)
    {
        var n = o.Clusters;
        var mark = Mark(reconciles);
        var resultsBefore = reconciles.ByResult;
        var driftBefore = reconciles.DriftQueued;
        await Task.Delay(o.Resync * o.Windows);
        var window = mark.Elapsed;
        var periods = window / o.Resync;
        var aws = AwsSince(stack, mark.At);
        var awsTotal = aws.Values.Sum();
        var awsWrites = aws.Where(kv => !IsRead(kv.Key)).Sum(kv => kv.Value);
        var kubeWrites = stack.Kube.Requests.Entries.Count(e => e.Time >= mark.At && e.IsWrite);
        var r = reconciles.Total - mark.Reconciles;
        results.Add(label, "window", $"{Secs(window)} = {periods:0.0} resync periods");
        results.Add(label, "AWS calls per cluster per resync", $"{awsTotal / (n * periods):0.0000} ({awsTotal} calls: {Ops(aws)})", writesTarget ? "≤ 0.02" : "");
        results.Add(label, "AWS write calls", awsWrites.ToString(CultureInfo.InvariantCulture), writesTarget ? "0" : "");
        results.Add(label, "Kubernetes writes per cluster per resync", $"{kubeWrites / (n * periods):0.0000} ({kubeWrites} writes)", writesTarget ? "≤ 1" : "");
        results.Add(label, "reconciles in window", $"{r} ({r / (n * periods):0.000} per cluster per resync)", writesTarget ? "0" : "");
        var byResult = reconciles.ByResult.Select(kv => (kv.Key, kv.Value - resultsBefore.GetValueOrDefault(kv.Key))).Where(kv => kv.Item2 > 0);
        results.Add(label, "reconciles by result; queued by the drift scanner",
            $"{string.Join(", ", byResult.Select(kv => $"{kv.Key} {kv.Item2}"))}; {reconciles.DriftQueued - driftBefore}");
        return new SteadyFigures(awsTotal / (n * periods), kubeWrites / (n * periods), r / (n * periods));
    }

    private static bool IsRead(string operation) => operation.StartsWith("Describe", StringComparison.Ordinal)
        || operation.StartsWith("List", StringComparison.Ordinal) || operation == "GetCallerIdentity";

    internal static bool IsReady(ECSCluster c) => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation;

    private static int Untagged(ScenarioStack stack, string[] names)
    {
        var response = stack.Aws.Ecs.DescribeClusters(ScenarioStack.Account, ScenarioStack.Region,
            new Ecs.DescribeClustersRequest { Clusters = names, Include = [Ecs.ClusterField.Tags] });
        return names.Length - (response.Clusters ?? []).Count(c => c.Tags?.Any(t => t.Key == Team) == true);
    }

    private static async Task<int> CountReadyInApiAsync(IKubernetes client) => (await ListAllAsync(client)).Count(IsReady);

    internal static async Task<List<ECSCluster>> ListAllAsync(IKubernetes client)
    {
        var all = new List<ECSCluster>();
        string? next = null;
        do
        {
            var page = await new RawApiClient(client, EcsOperatorModule.Json).ListAsync<ECSCluster>(
                ResourceType.Of<ECSCluster>().CollectionPath(ScenarioStack.Namespace), 500, next, null,
                CancellationToken.None);
            all.AddRange(page.Items ?? []);
            next = page.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(next));
        return all;
    }

    private static async Task ForEachAsync(string[] names, int writers, Func<string, Task> action) =>
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = writers }, async (name, _) => await action(name));

    /// <summary>Polls <paramref name="condition"/> until it holds (true) or <paramref name="timeout"/> has passed (false).</summary>
    internal static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(250));
        }
        return true;
    }

    private static Mark Mark(ReconcileCounter reconciles) => new(DateTimeOffset.UtcNow, Stopwatch.StartNew(), reconciles.Total);

    private static Dictionary<string, int> AwsSince(ScenarioStack stack, DateTimeOffset since) =>
        stack.Aws.Calls.Snapshot().Where(c => c.At >= since).GroupBy(c => c.Operation + (c.ErrorCode is { } e ? $"({e})" : ""))
            .ToDictionary(g => g.Key, g => g.Count());

    private static string Ops(Dictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}"));

    private static string Verbs(ScenarioStack stack, DateTimeOffset since, bool resourceOnly) =>
        string.Join(", ", stack.Kube.Requests.Entries.Where(e => e.Time >= since && (!resourceOnly || e.Resource.Length > 0))
            .GroupBy(e => $"{e.Verb} {e.Resource}{(e.Subresource.Length > 0 ? "/" + e.Subresource : "")}".Trim())
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));

    private static string Secs(TimeSpan t) => $"{t.TotalSeconds:0.0} s";

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MB";
}

/// <summary>The start of a measured window: wall-clock time (to filter the emulators' logs), a stopwatch, the reconcile count.</summary>
internal sealed record Mark(DateTimeOffset At, Stopwatch Watch, long Reconciles)
{
    public TimeSpan Elapsed => Watch.Elapsed;
}
