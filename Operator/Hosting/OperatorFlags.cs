using System.Globalization;
using Operator.CommandLine;

namespace Operator.Hosting;

/// <summary>
/// The operator's flags, each mapped to its <see cref="OperatorOptions"/> setting, with the kind of value it takes.
/// The defaults shown by --help are read from a default <see cref="OperatorOptions"/>, the one home of each default.
/// </summary>
internal static class OperatorFlags
{
    public const string Usage = "Usage: Operator [run] [flags]   (flags may also be set as INFRA_OPERATOR_<SETTING> variables or in appsettings.json)";

    private static readonly OperatorOptions Defaults = new();

    public static readonly IReadOnlyList<Flag> All =
    [
        new("--kubeconfig", nameof(OperatorOptions.Kubeconfig), FlagKind.Text, "in-cluster, else ~/.kube/config", "Kubeconfig file."),
        new("--namespaces", nameof(OperatorOptions.Namespaces), FlagKind.Text, "all", "Comma-separated namespaces to watch."),
        new("--workers", nameof(OperatorOptions.Workers), FlagKind.Integer(1, 1024), Show(Defaults.Workers), "Concurrent reconciles per controller."),
        new("--resync-period", nameof(OperatorOptions.ResyncPeriod), FlagKind.Duration(), Show(Defaults.ResyncPeriod), "Drift scan of ECS clusters and re-check of providers."),
        new("--leader-elect", nameof(OperatorOptions.LeaderElect), FlagKind.Boolean, Show(Defaults.LeaderElect), "Run workers only on the replica holding the Lease."),
        new("--leader-election-namespace", nameof(OperatorOptions.LeaderElectionNamespace), FlagKind.Text, Defaults.LeaderElectionNamespace, "Namespace of the Lease."),
        new("--leader-election-id", nameof(OperatorOptions.LeaderElectionId), FlagKind.Text, Defaults.LeaderElectionId, "Name of the Lease."),
        new("--leader-election-lease-duration", nameof(OperatorOptions.LeaseDuration), FlagKind.Duration(), Show(Defaults.LeaseDuration), "Lease duration."),
        new("--leader-election-renew-deadline", nameof(OperatorOptions.RenewDeadline), FlagKind.Duration(), Show(Defaults.RenewDeadline), "Renew deadline (shorter than the lease duration)."),
        new("--leader-election-retry-period", nameof(OperatorOptions.RetryPeriod), FlagKind.Duration(), Show(Defaults.RetryPeriod), "Acquire and renew retry period."),
        new("--bind-address", nameof(OperatorOptions.BindAddress), FlagKind.Text, Defaults.BindAddress, "Address the metrics and probe listeners bind to."),
        new("--metrics-port", nameof(OperatorOptions.MetricsPort), FlagKind.Integer(0, 65535), Show(Defaults.MetricsPort), "Port of /metrics (0: a free port)."),
        new("--health-port", nameof(OperatorOptions.HealthPort), FlagKind.Integer(0, 65535), Show(Defaults.HealthPort), "Port of /healthz and /readyz (0: a free port)."),
        new("--log-format", nameof(OperatorOptions.LogFormat), FlagKind.OneOf(null, "json", "text"), Defaults.LogFormat, "Log format."),
        new("--log-level", "Logging:LogLevel:Default", FlagKind.OneOf("LEVEL", "Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"), "Information",
            "Default log level: Trace, Debug, Information, Warning, Error, Critical or None."),
        new("--drain-timeout", nameof(OperatorOptions.DrainTimeout), FlagKind.Duration(allowZero: true), Show(Defaults.DrainTimeout), "How long in-flight reconciles may finish on shutdown."),
        new("--aws-endpoint", nameof(OperatorOptions.AwsEndpoint), FlagKind.Text, "AWS", "ECS and STS endpoint for providers without spec.endpoint."),
        new("--allowed-endpoints", nameof(OperatorOptions.AllowedEndpoints), FlagKind.Text, "none", "Hosts a provider's spec.endpoint may name (host, host:port, *.domain, *), comma-separated."),
        new("--allowed-role-arns", nameof(OperatorOptions.AllowedRoleArns), FlagKind.Text, "none", "Roles the operator's own identity may assume: ARN globs or account IDs, comma-separated."),
        new("--default-credentials-namespaces", nameof(OperatorOptions.DefaultCredentialsNamespaces), FlagKind.Text, "none", "Namespaces (or *) whose providers may use the operator's default credential chain."),
        new("--aws-read-burst", nameof(OperatorOptions.AwsReadBurst), FlagKind.Integer(1, 100_000), Show(Defaults.AwsReadBurst), "Token bucket size for ECS reads, per account and region."),
        new("--aws-read-qps", nameof(OperatorOptions.AwsReadQps), FlagKind.Number(0), Show(Defaults.AwsReadQps), "Token bucket refill per second for ECS reads."),
        new("--aws-write-burst", nameof(OperatorOptions.AwsWriteBurst), FlagKind.Integer(1, 100_000), Show(Defaults.AwsWriteBurst), "Token bucket size for ECS writes."),
        new("--aws-write-qps", nameof(OperatorOptions.AwsWriteQps), FlagKind.Number(0), Show(Defaults.AwsWriteQps), "Token bucket refill per second for ECS writes."),
        new("--aws-max-retries", nameof(OperatorOptions.AwsMaxRetries), FlagKind.Integer(0, 100), Show(Defaults.AwsMaxRetries), "Retries of throttled, 5xx or timed-out AWS calls."),
        new("--aws-attempt-timeout", nameof(OperatorOptions.AwsAttemptTimeout), FlagKind.Duration(), Show(Defaults.AwsAttemptTimeout), "Limit of one HTTP attempt of an AWS call."),
        new("--aws-call-timeout", nameof(OperatorOptions.AwsCallTimeout), FlagKind.Duration(), Show(Defaults.AwsCallTimeout), "Limit of one AWS call, retries and waits included."),
        new("--aws-max-response-bytes", nameof(OperatorOptions.AwsMaxResponseBytes), FlagKind.Integer(1024, int.MaxValue), Show(Defaults.AwsMaxResponseBytes),
            "Largest ECS or STS response body read, in bytes; a larger answer fails the call."),
        new("--max-reconciles-per-provider", nameof(OperatorOptions.MaxReconcilesPerProvider), FlagKind.Integer(0, 1024), "half of --workers", "ECSCluster reconciles working against one provider at once (0: half of --workers)."),
        new("--max-provider-checks", nameof(OperatorOptions.MaxProviderChecks), FlagKind.Integer(0, 1024), "half of --workers",
            "AWSProvider checks at once per namespace and per STS endpoint (0: half of --workers)."),
    ];

    private static string Show(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Show(long value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Show(bool value) => value ? "true" : "false";
    private static string Show(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
