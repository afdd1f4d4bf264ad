using Operator.Core.Aws.Resilience;
using Operator.Core.Controllers;
using Operator.Core.Informers;
using Operator.Core.Leadership;

namespace Operator.Hosting;

/// <summary>
/// The operator's settings. Read, later sources winning, from appsettings.json, environment variables prefixed
/// <c>INFRA_OPERATOR_</c> (e.g. <c>INFRA_OPERATOR_WORKERS=8</c>), and command-line flags (e.g. <c>--workers 8</c>);
/// bound once, by <see cref="OperatorHost"/>, which builds each component's options record from it.
/// A setting that a component's options record also has takes its default from that record (the one home of the
/// default); only the settings no component owns state their default here.
/// The setters are public for the configuration binder's generated code (EnableConfigurationBindingGenerator: the
/// AOT binary has no reflection-based binder), which binds settable properties only; nothing else sets them.
/// </summary>
internal sealed record OperatorOptions
{
    private static readonly ControllerOptions ControllerDefaults = new();
    private static readonly InformerOptions InformerDefaults = new();
    private static readonly LeaderElectionOptions LeaseDefaults = new();
    private static readonly AwsResilienceOptions AwsDefaults = new();

    /// <summary>Kubeconfig file; empty uses in-cluster config when in a pod, else the default kubeconfig.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>Comma-separated namespaces to watch; empty watches all namespaces.</summary>
    public string? Namespaces { get; set; }

    public int Workers { get; set; } = ControllerDefaults.Workers;
    public TimeSpan ResyncPeriod { get; set; } = InformerDefaults.ResyncPeriod;
    public bool LeaderElect { get; set; } = LeaseDefaults.Enabled;
    public string LeaderElectionNamespace { get; set; } = LeaseDefaults.LeaseNamespace;
    public string LeaderElectionId { get; set; } = LeaseDefaults.LeaseName;
    /// <summary>Lease timings, as client-go's defaults; the renew deadline must be shorter than the lease duration.</summary>
    public TimeSpan LeaseDuration { get; set; } = LeaseDefaults.LeaseDuration;
    public TimeSpan RenewDeadline { get; set; } = LeaseDefaults.RenewDeadline;
    public TimeSpan RetryPeriod { get; set; } = LeaseDefaults.RetryPeriod;

    /// <summary>Address the metrics and probe listeners bind to (0.0.0.0 in the Deployment; local mode uses 127.0.0.1).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    public int MetricsPort { get; set; } = 8080;
    public int HealthPort { get; set; } = 8081;

    /// <summary>json (default, one object per line with scopes) or text.</summary>
    public string LogFormat { get; set; } = "json";

    /// <summary>
    /// How long a stopping leader lets in-flight reconciles finish before cancelling them. Clamped to the lease
    /// duration (<see cref="EffectiveDrainTimeout"/>): the Lease is renewed during the drain and released after it,
    /// so a longer drain would only delay the standby, and a drain can never outlive the leadership it runs under.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = ControllerDefaults.DrainTimeout;

    public TimeSpan EffectiveDrainTimeout => LeaderElect && DrainTimeout > LeaseDuration ? LeaseDuration : DrainTimeout;

    /// <summary>ECS/STS endpoint for providers that set no spec.endpoint (VPC endpoints, LocalStack, local mode).</summary>
    public string? AwsEndpoint { get; set; }

    /// <summary>
    /// Comma-separated hosts (host, host:port, *.domain, or *) an AWSProvider's spec.endpoint may name. Empty: only
    /// AWS's own ECS/STS endpoints of the provider's region (https), besides <see cref="AwsEndpoint"/>.
    /// </summary>
    public string? AllowedEndpoints { get; set; }

    /// <summary>
    /// Comma-separated role ARN globs or 12-digit account IDs (or *) that the operator's own identity may assume for
    /// a provider (spec.roleARN; spec.assumeRoleARN without other credentials). Empty: none.
    /// </summary>
    public string? AllowedRoleArns { get; set; }

    /// <summary>Comma-separated namespaces (or *) whose providers may use the operator's own default chain. Empty: none.</summary>
    public string? DefaultCredentialsNamespaces { get; set; }

    /// <summary>Client-side token bucket per account and region for ECS reads (Describe*/List*).</summary>
    public int AwsReadBurst { get; set; } = AwsDefaults.ReadBucket.Capacity;
    public double AwsReadQps { get; set; } = AwsDefaults.ReadBucket.RefillPerSecond;

    /// <summary>Client-side token bucket per account and region for ECS writes.</summary>
    public int AwsWriteBurst { get; set; } = AwsDefaults.WriteBucket.Capacity;
    public double AwsWriteQps { get; set; } = AwsDefaults.WriteBucket.RefillPerSecond;

    /// <summary>Retries of a throttled, failed (5xx) or timed-out AWS call, with exponential back-off and jitter.</summary>
    public int AwsMaxRetries { get; set; } = AwsDefaults.MaxRetryAttempts;

    /// <summary>Limit of one HTTP attempt of an ECS or STS call.</summary>
    public TimeSpan AwsAttemptTimeout { get; set; } = AwsDefaults.AttemptTimeout;

    /// <summary>Limit of one ECS or STS call, retries, back-off and rate-limit waits included.</summary>
    public TimeSpan AwsCallTimeout { get; set; } = AwsDefaults.CallTimeout;

    /// <summary>Largest ECS or STS response body the operator reads, in bytes; a larger answer fails the call.</summary>
    public long AwsMaxResponseBytes { get; set; } = Core.Aws.Http.AwsHttpOptions.DefaultMaxResponseBytes;

    /// <summary>ECSCluster reconciles that may work against one AWSProvider at once; 0: half the workers, at least 1.</summary>
    public int MaxReconcilesPerProvider { get; set; }

    /// <summary>AWSProvider checks that may run at once in one namespace, and at once against one STS endpoint; 0: half
    /// the workers, at least 1.</summary>
    public int MaxProviderChecks { get; set; }

    public IReadOnlyList<string> NamespaceList =>
        (Namespaces ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Flag → setting (<see cref="OperatorFlags"/>), so that <c>--workers 8</c> sets <c>Workers</c>.</summary>
    public static IReadOnlyDictionary<string, string> SwitchMappings =>
        OperatorFlags.All.ToDictionary(f => f.Name, f => f.Setting, StringComparer.Ordinal);
}
