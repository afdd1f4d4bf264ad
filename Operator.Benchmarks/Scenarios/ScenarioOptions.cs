namespace Operator.Benchmarks.Scenarios;

/// <summary>Command-line settings of the scenario runner; every value has a default that makes a bounded N = 1,000 run.</summary>
internal sealed record ScenarioOptions
{
    public int Clusters { get; init; } = 1000;

    /// <summary>Concurrent clients creating and deleting the ECSClusters.</summary>
    public int Writers { get; init; } = 4;

    /// <summary>The operator's resync (drift scan) period for the whole run.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Resync periods measured in the steady-state window (scenario 2), for the operator and for the naive baseline.</summary>
    public int Windows { get; init; } = 3;

    /// <summary>Percentage of clusters changed out of band in scenario 3.</summary>
    public double DriftPercent { get; init; } = 1;

    /// <summary>The ECS emulator's per-account token bucket (ECS's documented read limit); false runs unthrottled.</summary>
    public bool Throttle { get; init; } = true;

    /// <summary>Operator settings overridden beyond the scenario's own (e.g. AwsWriteQps); empty keeps the product defaults.</summary>
    public Dictionary<string, string?> Settings { get; init; } = [];

    /// <summary>Run the naive and the Go original's baselines (scenario 2).</summary>
    public bool Naive { get; init; } = true;

    /// <summary>Measure the operator as a separate process over the same objects (the memory row of the table).</summary>
    public bool ProcessMemory { get; init; } = true;

    /// <summary>Create the ECSClusters as <c>kubectl apply</c> does (with its last-applied-configuration annotation).</summary>
    public bool AsApplied { get; init; } = true;

    /// <summary>Instead of the scenarios, measure the operator's RSS as a separate process (<see cref="OperatorProcessRss"/>).</summary>
    public bool OperatorProcess { get; init; }

    /// <summary>Instead of the scenarios, measure only the informer's bytes per cached ECSCluster.</summary>
    public bool InformerOnly { get; init; }

    /// <summary>Run only scenario 1 (create) and the settling of its tail, then stop: the cost of creation alone.</summary>
    public bool CreateOnly { get; init; }

    /// <summary>Instead of the scenarios, measure restart / failover (<see cref="FailoverScenario"/>).</summary>
    public bool Failover { get; init; }

    /// <summary>Instead of the scenarios, measure API server restarts under a running operator (<see cref="ApiServerRestartScenario"/>).</summary>
    public bool ApiServerRestart { get; init; }

    /// <summary>Instead of the scenarios, compare publish options and GC settings (<see cref="Scenarios.PublishOptions"/>).</summary>
    public bool PublishOptions { get; init; }

    /// <summary>With <see cref="PublishOptions"/>: where each published variant is (r2r, trimmed, aot → directory).</summary>
    public Dictionary<string, string> PublishDirs { get; init; } = [];

    /// <summary>With <see cref="PublishOptions"/>: run only these variants (empty: all).</summary>
    public HashSet<string> Variants { get; init; } = [];

    /// <summary>With <see cref="OperatorProcess"/>: write a heap dump of the child here (dotnet-gcdump, found on PATH) before it is stopped.</summary>
    public string? GcDump { get; init; }

    /// <summary>Instead of the scenarios, measure the operator's memory under huge ECS answers (<see cref="LargeResponseScenario"/>).</summary>
    public bool LargeResponse { get; init; }

    /// <summary>With <see cref="LargeResponse"/>: the size of each ECS answer, in MB.</summary>
    public int ResponseMegabytes { get; init; } = 60;

    /// <summary>Upper bound on each wait; a wait that runs out is reported as a timeout, not hidden.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(20);

    public static ScenarioOptions Parse(string[] args)
    {
        var o = new ScenarioOptions();
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--clusters": o = o with { Clusters = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--writers": o = o with { Writers = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--resync-seconds": o = o with { Resync = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) }; break;
                case "--windows": o = o with { Windows = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--drift-percent": o = o with { DriftPercent = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--no-throttle": o = o with { Throttle = false }; break;
                case "--no-naive": o = o with { Naive = false }; break;
                case "--no-process-memory": o = o with { ProcessMemory = false }; break;
                case "--no-last-applied": o = o with { AsApplied = false }; break;
                case "--operator-process": o = o with { OperatorProcess = true }; break;
                case "--informer-only": o = o with { InformerOnly = true }; break;
                case "--create-only": o = o with { CreateOnly = true }; break;
                case "--failover": o = o with { Failover = true }; break;
                case "--apiserver-restart": o = o with { ApiServerRestart = true }; break;
                case "--publish-options": o = o with { PublishOptions = true }; break;
                case "--large-response": o = o with { LargeResponse = true }; break;
                case "--response-mb": o = o with { ResponseMegabytes = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--publish-dir":
                    var pd = Next().Split('=', 2);
                    o.PublishDirs[pd[0]] = pd[1];
                    break;
                case "--variants": o.Variants.UnionWith(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--gcdump": o = o with { GcDump = Next() }; break;
                case "--timeout-minutes": o = o with { Timeout = TimeSpan.FromMinutes(double.Parse(Next(), CultureInfo.InvariantCulture)) }; break;
                case "--set":
                    // --set AwsWriteQps=20: any OperatorOptions setting, as the operator's own configuration spells it.
                    var kv = Next().Split('=', 2);
                    settings[kv[0]] = kv.Length > 1 ? kv[1] : "";
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return o with { Settings = settings };
    }
}
