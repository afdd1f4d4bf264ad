namespace Operator.Hosting;

/// <summary>
/// The operator's settings. Read, later sources winning, from appsettings.json, environment variables prefixed
/// <c>INFRA_OPERATOR_</c> (e.g. <c>INFRA_OPERATOR_WORKERS=8</c>), and command-line flags (e.g. <c>--workers 8</c>).
/// </summary>
internal sealed record OperatorOptions
{
    /// <summary>Kubeconfig file; empty uses in-cluster config when in a pod, else the default kubeconfig.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Comma-separated namespaces to watch; empty watches all namespaces.</summary>
    public string? Namespaces { get; init; }

    public int Workers { get; init; } = 4;
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);
    public bool LeaderElect { get; init; } = true;
    public string LeaderElectionNamespace { get; init; } = "infra-operator-system";
    public string LeaderElectionId { get; init; } = "infra-operator-leader";
    public int MetricsPort { get; init; } = 8080;
    public int HealthPort { get; init; } = 8081;

    /// <summary>json (default, one object per line with scopes) or text.</summary>
    public string LogFormat { get; init; } = "json";

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>ECS/STS endpoint for providers that set no spec.endpoint (VPC endpoints, LocalStack, local mode).</summary>
    public string? AwsEndpoint { get; init; }

    /// <summary>Client-side token bucket per account and region for ECS reads (Describe*/List*).</summary>
    public int AwsReadBurst { get; init; } = 40;
    public double AwsReadQps { get; init; } = 15;

    /// <summary>Client-side token bucket per account and region for ECS writes.</summary>
    public int AwsWriteBurst { get; init; } = 10;
    public double AwsWriteQps { get; init; } = 2;

    /// <summary>Retries of a throttled, failed (5xx) or timed-out AWS call, with exponential back-off and jitter.</summary>
    public int AwsMaxRetries { get; init; } = 5;

    /// <summary>Limit of one HTTP attempt of an ECS or STS call.</summary>
    public TimeSpan AwsAttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit of one ECS or STS call, retries, back-off and rate-limit waits included.</summary>
    public TimeSpan AwsCallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>ECSCluster reconciles that may work against one AWSProvider at once; 0: half the workers, at least 1.</summary>
    public int MaxReconcilesPerProvider { get; init; }

    public IReadOnlyList<string> NamespaceList =>
        (Namespaces ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Flag → setting, so that <c>--workers 8</c> works besides <c>--Workers=8</c>.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--kubeconfig"] = nameof(Kubeconfig),
        ["--namespaces"] = nameof(Namespaces),
        ["--workers"] = nameof(Workers),
        ["--resync-period"] = nameof(ResyncPeriod),
        ["--leader-elect"] = nameof(LeaderElect),
        ["--leader-election-namespace"] = nameof(LeaderElectionNamespace),
        ["--leader-election-id"] = nameof(LeaderElectionId),
        ["--metrics-port"] = nameof(MetricsPort),
        ["--health-port"] = nameof(HealthPort),
        ["--log-format"] = nameof(LogFormat),
        ["--log-level"] = "Logging:LogLevel:Default",
        ["--drain-timeout"] = nameof(DrainTimeout),
        ["--aws-endpoint"] = nameof(AwsEndpoint),
        ["--aws-read-burst"] = nameof(AwsReadBurst),
        ["--aws-read-qps"] = nameof(AwsReadQps),
        ["--aws-write-burst"] = nameof(AwsWriteBurst),
        ["--aws-write-qps"] = nameof(AwsWriteQps),
        ["--aws-max-retries"] = nameof(AwsMaxRetries),
        ["--aws-attempt-timeout"] = nameof(AwsAttemptTimeout),
        ["--aws-call-timeout"] = nameof(AwsCallTimeout),
        ["--max-reconciles-per-provider"] = nameof(MaxReconcilesPerProvider),
    };
}
