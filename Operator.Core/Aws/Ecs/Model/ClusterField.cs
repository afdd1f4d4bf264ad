namespace Operator.Core.Aws.Ecs.Model;

/// <summary>Values for <see cref="DescribeClustersRequest.Include"/>.</summary>
public static class ClusterField
{
    public const string Attachments = "ATTACHMENTS";
    public const string Configurations = "CONFIGURATIONS";
    public const string Settings = "SETTINGS";
    public const string Statistics = "STATISTICS";
    public const string Tags = "TAGS";

    /// <summary>Every include the operator needs to map a cluster to status.</summary>
    public static readonly IReadOnlyList<string> All = [Attachments, Configurations, Settings, Statistics, Tags];
}
