namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// One way to ship the operator: the directory it is published to (null: this build's framework-dependent
/// Operator.dll) and the runtime settings passed as environment variables.
/// </summary>
internal sealed record OperatorVariant(string Name, string? Directory, IReadOnlyDictionary<string, string> Environment, string Description)
{
    public static readonly OperatorVariant Default = new("as-built", null, new Dictionary<string, string>(), "framework-dependent, runtime settings of Operator.runtimeconfig.json");
}

/// <summary>
/// The fixed cost of the operator process per publish option and GC setting, measured side by side in one run over
/// the same emulators: every variant is started as a child process (as <see cref="OperatorProcessRss"/> does) first
/// with no ECSCluster, then again after N are seeded, and its RSS (with the anonymous / file-backed / shared split
/// of /proc/&lt;pid&gt;/status) is read once its AWS calls have settled and <see cref="ScenarioOptions.Windows"/> more
/// resync periods have passed. Before each variant's run with N, every object's status is removed, so each variant
/// converges the same N objects itself; its Ready count (a variant that leaves any not Ready fails the run) and the
/// error lines in its log are reported with its RSS. Variants whose publish directory was not given (<c>--publish-dir NAME=DIR</c>, made by
/// scripts/publish-options) are reported as not published. One child at a time.
/// </summary>
internal static class PublishOptions
{
    // Every variant names its GC mode and tiering, so that the figures do not depend on what Operator.runtimeconfig.json
    // sets (the environment wins over it).
    private static readonly Dictionary<string, string> Server = new() { ["DOTNET_gcServer"] = "1", ["DOTNET_gcConcurrent"] = "1", ["DOTNET_GCConserveMemory"] = "0", ["DOTNET_TieredPGO"] = "1" };
    private static readonly Dictionary<string, string> Workstation = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["DOTNET_GCConserveMemory"] = "0", ["DOTNET_TieredPGO"] = "1" };

    /// <summary>
    /// What the Dockerfile and the Deployment ship: workstation GC, GC conserve-memory level 7, no tiered PGO (its
    /// instrumented code tier is JIT memory spent on an I/O-bound process), a 4 MiB gen0 budget (the default follows the
    /// L3 cache size, tens of MB on a server). Kept equal to them by Operator.Tests/Deploy.
    /// </summary>
    internal static readonly Dictionary<string, string> ShippedEnvironment = new()
    {
        ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["DOTNET_GCConserveMemory"] = "7", ["DOTNET_TieredPGO"] = "0", ["DOTNET_GCgen0size"] = "0x400000",
    };

    private static Dictionary<string, string> With(Dictionary<string, string> env, params (string Key, string Value)[] more)
    {
        var result = new Dictionary<string, string>(env);
        foreach (var (k, v) in more)
        {
            result[k] = v;
        }
        return result;
    }

    /// <summary>The variants in the order they are run; DOTNET_GC* values are hexadecimal, as the runtime reads them.</summary>
    public static IReadOnlyList<(string Name, string? PublishDir, Dictionary<string, string> Env, string Description)> All
    {
        get
        {
            var best = With(Workstation, ("DOTNET_gcConcurrent", "0"), ("DOTNET_GCConserveMemory", "5"));
            return
            [
                ("default", null, Server, "framework-dependent, JIT, Server GC (the Web SDK's default)"),
                ("server-1heap", null, With(Server, ("DOTNET_GCHeapAffinitizeMask", "0x1")), "Server GC on one heap (GCHeapAffinitizeMask=0x1)"),
                ("shipped", null, ShippedEnvironment, "JIT build with the runtime settings the image and the Deployment ship: workstation GC, GCConserveMemory=7, TieredPGO off, GCgen0size=4 MiB"),
                ("workstation", null, Workstation, "Workstation GC alone (what was shipped before)"),
                ("ws-noconcurrent", null, With(Workstation, ("DOTNET_gcConcurrent", "0")), "+ gcConcurrent=0 (no background GC thread)"),
                ("ws-nc-conserve", null, best, "+ GCConserveMemory=5"),
                ("ws-wx0", null, With(Workstation, ("DOTNET_EnableWriteXorExecute", "0")), "workstation + EnableWriteXorExecute=0"),
                ("ws-nc-conserve-wx0", null, With(best, ("DOTNET_EnableWriteXorExecute", "0")), "+ EnableWriteXorExecute=0 (JIT code mapped once, not twice)"),
                ("ws-hardlimit-96M", null, With(Workstation, ("DOTNET_GCHeapHardLimit", "0x6000000")), "workstation + GCHeapHardLimit=96 MiB"),
                ("r2r", "r2r", Server, "ReadyToRun (PublishReadyToRun), Server GC"),
                ("r2r-ws-nc-conserve", "r2r", best, "ReadyToRun + workstation, gcConcurrent=0, GCConserveMemory=5"),
                ("r2r-ws-nc-conserve-wx0", "r2r", With(best, ("DOTNET_EnableWriteXorExecute", "0")), "ReadyToRun + the same + W^X off"),
                ("trimmed-r2r-ws-nc-conserve", "trimmed", best, "PublishTrimmed (self-contained) + ReadyToRun + the same GC settings"),
                ("aot", "aot", best, "Native AOT (PublishAot) + the same GC settings"),
                ("aot-ws", "aot", Workstation, "Native AOT, workstation GC, concurrent, no GCConserveMemory"),
                ("aot-gen0-4M", "aot", With(best, ("DOTNET_GCgen0size", "0x400000")), "Native AOT + the same + GCgen0size=4 MiB (gen0 budget)"),
                ("aot-shipped", "aot", ShippedEnvironment, "Native AOT with the settings the image and the Deployment ship (the shipped variant's)"),
            ];
        }
    }

    /// <summary>
    /// The runtime settings the Dockerfile and the Deployment ship (kept equal to them by Operator.Tests/Deploy) on the
    /// JIT build; <see cref="ShippedAot"/> is the image's own build, when a Native AOT publish directory is given.
    /// </summary>
    public static (string Name, string? PublishDir, Dictionary<string, string> Env, string Description) Shipped => All.Single(v => v.Name == "shipped");

    public static (string Name, string? PublishDir, Dictionary<string, string> Env, string Description) ShippedAot => All.Single(v => v.Name == "aot-shipped");

    public static async Task<int> RunAsync(ScenarioOptions o, ResultTable results)
    {
        var variants = All.Where(v => o.Variants.Count == 0 || o.Variants.Contains(v.Name)).ToList();
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions { AccountThrottle = o.Throttle ? new(50, 20) : null });
        var kubeconfig = await OperatorProcessRss.WriteKubeconfigAsync(stack);
        var figures = new Dictionary<(string Variant, int N), Figures>();
        var failed = false;
        try
        {
            foreach (var n in new[] { 0, o.Clusters }.Distinct())
            {
                if (n > 0)
                {
                    await OperatorProcessRss.SeedAsync(stack, o);
                }
                foreach (var (name, publishDir, env, description) in variants)
                {
                    string? dir = null;
                    if (publishDir is not null && (!o.PublishDirs.TryGetValue(publishDir, out dir) || !Directory.Exists(dir)))
                    {
                        continue;
                    }
                    if (n > 0)
                    {
                        // Every variant converges the same N objects from no status, so that each one's Ready count
                        // proves that it did the work itself (a build that fails at its first JSON call makes none Ready).
                        await ClearStatusesAsync(stack, o);
                    }
                    var f = await MeasureAsync(stack, o, kubeconfig, new OperatorVariant(name, dir, env, description), n);
                    figures[(name, n)] = f;
                    failed |= f.Error is not null || f.Ready < f.Of;
                    Console.WriteLine($"  [publish] {name} N={n}: {f}");
                }
            }
        }
        finally
        {
            File.Delete(kubeconfig);
        }

        foreach (var (name, publishDir, env, description) in variants)
        {
            if (!figures.TryGetValue((name, 0), out var idle))
            {
                results.Add("publish", $"{name}: {description}", $"not published (--publish-dir {publishDir}=DIR)");
                continue;
            }
            var loaded = figures.GetValueOrDefault((name, o.Clusters));
            var perObject = loaded is { Error: null } && idle.Error is null && o.Clusters > 0
                ? $"; anon +{(loaded.Anon - idle.Anon) / (double)o.Clusters / 1024:0.0} KB/object" : "";
            results.Add("publish", $"{name}: {description}",
                $"N=0: {idle}; N={o.Clusters}: {loaded?.ToString() ?? "n/a"}{perObject}");
        }
        return failed ? 1 : 0;
    }

    /// <summary>Removes every ECSCluster's status (a merge patch of the status subresource), as before a first reconcile.</summary>
    private static async Task ClearStatusesAsync(ScenarioStack stack, ScenarioOptions o)
    {
        var names = (await ScenarioRunner.ListAllAsync(stack.Client)).Select(c => c.Metadata.Name).ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = o.Writers }, async (name, ct) =>
            await stack.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("{\"status\":null}", V1Patch.PatchType.MergePatch),
                ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName, name, cancellationToken: ct));
    }

    /// <summary>RSS now and peak, and the split of RSS now, in bytes; or why it was not measured.</summary>
    internal sealed record Figures(long Rss, long Peak, long Anon, long File, long Shmem, TimeSpan Settled, string? Error)
    {
        /// <summary>ECS calls in the last resync period when the settling cap ran out (null: it settled).</summary>
        public int? StillCalling { get; init; }

        /// <summary>ECSClusters Ready (at their generation) when RSS was read, of <see cref="Of"/>.</summary>
        public int Ready { get; init; }

        public int Of { get; init; }

        /// <summary>Error and critical lines (and lines naming an exception) among the child's last 50 log lines.</summary>
        public int ErrorLines { get; init; }

        public override string ToString() => Error ?? string.Create(CultureInfo.InvariantCulture,
            $"{OperatorProcessRss.Mb(Rss)} (peak {OperatorProcessRss.Mb(Peak)}) = {OperatorProcessRss.Mb(Anon)} anon + {OperatorProcessRss.Mb(File)} file + {OperatorProcessRss.Mb(Shmem)} shmem, {(StillCalling is { } c ? $"NOT settled after {Settled.TotalSeconds:0} s ({c} ECS calls/period)" : $"settled {Settled.TotalSeconds:0} s")}, Ready {Ready}/{Of}, {ErrorLines} error lines");
    }

    internal static async Task<Figures> MeasureAsync(ScenarioStack stack, ScenarioOptions o, string kubeconfig, OperatorVariant variant, int n)
    {
        var watch = Stopwatch.StartNew();
        var since = DateTimeOffset.UtcNow;
        using var child = OperatorProcessRss.StartChild(stack, o, kubeconfig, variant, out var output);
        try
        {
            // Settled: the child has made its first scan of every object (at least ⌈N/100⌉ ECS calls) and its ECS calls
            // over the last resync period are no more than a steady scan's (⌈N/100⌉ batched describes, a few spare).
            // Capped: a variant that keeps calling more than that is measured anyway after the cap, and says so.
            var scan = (n + 99) / 100;
            var cap = TimeSpan.FromTicks(Math.Min(o.Timeout.Ticks, (o.Resync * 24).Ticks));
            var recent = 0;
            while (watch.Elapsed < cap && !child.HasExited)
            {
                await Task.Delay(o.Resync);
                var calls = stack.Aws.Calls.Snapshot().Where(c => c.At >= since && c.Service == "ecs").ToList();
                recent = calls.Count(c => c.At >= DateTimeOffset.UtcNow - o.Resync);
                if (calls.Count >= scan && recent <= scan + 5 && (n == 0 || watch.Elapsed >= 2 * o.Resync))
                {
                    break;
                }
            }
            if (child.HasExited)
            {
                return new Figures(0, 0, 0, 0, 0, watch.Elapsed, $"exited with {child.ExitCode}: {string.Join(" / ", output.TakeLast(5))}");
            }
            var settled = watch.Elapsed;
            await Task.Delay(o.Resync * o.Windows);
            var pid = child.Id;
            var figures = new Figures(OperatorProcessRss.Proc(pid, "VmRSS:"), OperatorProcessRss.Proc(pid, "VmHWM:"), OperatorProcessRss.Proc(pid, "RssAnon:"),
                OperatorProcessRss.Proc(pid, "RssFile:"), OperatorProcessRss.Proc(pid, "RssShmem:"), settled, null);
            var clusters = await ScenarioRunner.ListAllAsync(stack.Client);
            var errors = output.Where(l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" crit ", StringComparison.Ordinal)
                || l.Contains("Exception", StringComparison.Ordinal)).ToList();
            foreach (var line in errors.Take(3))
            {
                Console.WriteLine($"  [publish] {variant.Name} N={n} log: {line}");
            }
            return figures with
            {
                StillCalling = settled >= cap ? recent : null,
                Ready = clusters.Count(ScenarioRunner.IsReady),
                Of = clusters.Count,
                ErrorLines = errors.Count,
            };
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
        }
    }
}
