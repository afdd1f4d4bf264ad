using Operator.Core.Clusters;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The operator's own memory, separated from the emulators: N ECSClusters whose ECS clusters already exist (created
/// on the emulator's backend exactly as the operator would create them, ownership tag included — the state after a
/// restart or failover), and the operator started as a child process (<c>Operator.dll run</c>, product defaults,
/// --kubeconfig and --aws-endpoint pointing at the in-process emulators). Once every object is Ready and a few resync
/// periods have passed, the child's VmHWM and VmRSS are read from /proc/&lt;pid&gt;/status; then the child is killed.
/// </summary>
internal static class OperatorProcessRss
{
    public static async Task<int> RunAsync(ScenarioOptions o, ResultTable results)
    {
        var n = o.Clusters;
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions { AccountThrottle = o.Throttle ? new(50, 20) : null });
        await SeedAsync(stack, o);
        var kubeconfig = await WriteKubeconfigAsync(stack);
        using var child = StartChild(stack, o, kubeconfig, OperatorVariant.Default, out var output);
        var watch = Stopwatch.StartNew();
        var ready = 0;
        try
        {
            while (watch.Elapsed < o.Timeout && !child.HasExited)
            {
                ready = (await ScenarioRunner.ListAllAsync(stack.Client)).Count(ScenarioRunner.IsReady);
                if (ready == n)
                {
                    break;
                }
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            if (child.HasExited)
            {
                Console.Error.WriteLine($"the operator exited with {child.ExitCode}:\n{string.Join('\n', output)}");
                return 1;
            }
            var allReady = watch.Elapsed;
            results.Add("rss", "operator process: all Ready (existing ECS clusters)", ready == n ? $"{allReady.TotalSeconds:0.0} s" : $"TIMEOUT ({ready}/{n})");
            results.Add("rss", "operator process: RSS at all Ready (peak / now)", $"{Mb(Proc(child.Id, "VmHWM:"))} / {Mb(Proc(child.Id, "VmRSS:"))}");
            await Task.Delay(o.Resync * o.Windows);
            results.Add("rss", $"operator process: RSS after {o.Windows} more resyncs (peak / now)",
                $"{Mb(Proc(child.Id, "VmHWM:"))} / {Mb(Proc(child.Id, "VmRSS:"))}", "≤ 150 MB");
            results.Add("rss", "operator process: RSS now = anonymous + file-backed (code) + shmem",
                $"{Mb(Proc(child.Id, "RssAnon:"))} + {Mb(Proc(child.Id, "RssFile:"))} + {Mb(Proc(child.Id, "RssShmem:"))}");
            if (o.GcDump is { } dump)
            {
                using var gcdump = Process.Start(new ProcessStartInfo("dotnet-gcdump") { ArgumentList = { "collect", "-p", child.Id.ToString(CultureInfo.InvariantCulture), "-o", dump } })!;
                await gcdump.WaitForExitAsync();
                results.Add("rss", "heap dump (dotnet-gcdump report)", gcdump.ExitCode == 0 ? dump : $"FAILED ({gcdump.ExitCode})");
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
            File.Delete(kubeconfig);
        }
        return ready == n ? 0 : 1;
    }

    /// <summary>
    /// Creates the N ECSClusters through the API and, for each, the ECS cluster the operator would have created (from
    /// the stored, defaulted object), directly on the emulator's backend: the state an operator restart finds.
    /// </summary>
    public static async Task SeedAsync(ScenarioStack stack, ScenarioOptions o)
    {
        var names = Enumerable.Range(0, o.Clusters).Select(i => $"bench-{i:D5}").ToArray();
        var provider = EcsOperatorModule.Json.Deserialize<AWSProvider>(EcsOperatorModule.Json.Serialize(await stack.Client.CustomObjects.GetNamespacedCustomObjectAsync(
            ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, AWSProvider.PluralName, ScenarioStack.Provider)));
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = o.Writers }, async (name, _) =>
        {
            var created = await stack.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
                ScenarioStack.NewCluster(name, o.AsApplied), ApiGroup.Group, ApiGroup.Version, ScenarioStack.Namespace, ECSCluster.PluralName);
            var obj = EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(created));
            stack.Aws.Ecs.CreateCluster(ScenarioStack.Account, ScenarioStack.Region, DesiredCluster.From(obj, provider).ToCreateRequest());
        });
    }

    /// <summary>
    /// Bytes per cached ECSCluster only: seeds N Ready-able clusters, lets the in-process operator make them Ready (with
    /// <c>--set</c> settings, e.g. a wider read bucket to be quick), stops it, and measures a fresh informer.
    /// </summary>
    public static async Task<int> InformerOnlyAsync(ScenarioOptions o, ResultTable results)
    {
        await using var stack = await ScenarioStack.StartAsync(new AwsEmulatorOptions());
        await SeedAsync(stack, o);
        await stack.StartOperatorAsync(new Dictionary<string, string?>(o.Settings) { ["ResyncPeriod"] = o.Resync.ToString() });
        var watch = Stopwatch.StartNew();
        while (stack.OperatorCache.List().Count(ScenarioRunner.IsReady) < o.Clusters && watch.Elapsed < o.Timeout)
        {
            await Task.Delay(250);
        }
        var sample = stack.OperatorCache.List()[0];
        await stack.StopOperatorAsync();
        var (bytes, cached) = await InformerMemory.MeasureAsync(stack.Client);
        results.Add("memory", "informer cache: bytes per cached ECSCluster", $"{bytes / Math.Max(1, cached):N0} B ({cached} objects)", "≤ 2.6 KB");
        foreach (var (variant, json, heap) in InformerMemory.Breakdown(sample, o.Clusters))
        {
            results.Add("memory", $"one object, {variant}: JSON / heap", $"{json:N0} B / {heap:N0} B");
        }
        return 0;
    }

    /// <summary>A kubeconfig for the child pointing at the in-process Kubernetes emulator; the caller deletes the file.</summary>
    public static Task<string> WriteKubeconfigAsync(ScenarioStack stack) => Task.FromResult(stack.Kube.WriteKubeconfig(
        Path.Combine(Path.GetTempPath(), $"bench-kubeconfig-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml"), token: "bench"));

    /// <summary>
    /// Starts the operator as a child process (<c>run</c>, product defaults plus <c>--set</c> settings) from the
    /// variant's directory — <c>dotnet Operator.dll</c> when it holds one, else its native <c>Operator</c> executable —
    /// with the variant's environment. <paramref name="output"/> keeps the last 50 lines of its standard output.
    /// </summary>
    public static Process StartChild(ScenarioStack stack, ScenarioOptions o, string kubeconfig, OperatorVariant variant,
        out System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        var dir = variant.Directory ?? AppContext.BaseDirectory;
        var dll = Path.Combine(dir, "Operator.dll");
        var start = File.Exists(dll) ? new ProcessStartInfo("dotnet") { ArgumentList = { dll } } : new ProcessStartInfo(Path.Combine(dir, "Operator"));
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var arg in new[]
                 {
                     "run", "--kubeconfig", kubeconfig, "--leader-elect", "false",
                     "--aws-endpoint", stack.Aws.Endpoint.ToString(), "--metrics-port", "0", "--health-port", "0", "--log-format", "text",
                     "--log-level", "Warning", "--resync-period", o.Resync.ToString(),
                 })
        {
            start.ArgumentList.Add(arg);
        }
        // The settings are named as OperatorOptions names them; the executable takes only its documented flags.
        foreach (var (k, v) in o.Settings)
        {
            var flag = OperatorFlags.All.SingleOrDefault(f => f.Setting == k)
                ?? throw new ArgumentException($"no operator flag sets {k}", nameof(o));
            start.ArgumentList.Add($"{flag.Name}={v}");
        }
        foreach (var (k, v) in variant.Environment)
        {
            start.Environment[k] = v;
        }
        var child = Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        output = lines;
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
                while (lines.Count > 50 && lines.TryDequeue(out string? _))
                {
                }
            }
        };
        child.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { Console.Error.WriteLine($"operator: {line}"); } };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        return child;
    }

    /// <summary>A field of /proc/&lt;pid&gt;/status in bytes (-1 when absent).</summary>
    public static long Proc(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return -1;
    }

    public static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MB";
}
