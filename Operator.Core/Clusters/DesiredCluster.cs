using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// What an ECSCluster asks of AWS, in the ECS API's terms. Parts the spec leaves out (null) are not managed: the
/// operator leaves them as they are in AWS. Tags are managed as a whole set: the provider's defaultTags, overridden by
/// the spec's tags, plus the ownership tag.
/// </summary>
internal sealed record DesiredCluster(
    string Name,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<Ecs.ClusterSetting>? Settings,
    Ecs.ClusterConfiguration? Configuration,
    string? ServiceConnectNamespace,
    IReadOnlyList<string>? CapacityProviders,
    IReadOnlyList<Ecs.CapacityProviderStrategyItem>? Strategy)
{
    public static DesiredCluster From(ECSCluster obj, AWSProvider provider)
    {
        var spec = obj.Spec;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in provider.Spec.DefaultTags ?? [])
        {
            tags[k] = v;
        }
        foreach (var (k, v) in spec.Tags ?? [])
        {
            tags[k] = v;
        }
        tags[Ownership.TagKey] = Ownership.Owner(obj);

        var exec = spec.Configuration?.ExecuteCommandConfiguration;
        return new DesiredCluster(
            spec.ClusterName,
            tags,
            spec.Settings?.Select(s => new Ecs.ClusterSetting(s.Name, s.Value)).ToList(),
            spec.Configuration is null ? null : new Ecs.ClusterConfiguration
            {
                ExecuteCommandConfiguration = exec is null ? null : new Ecs.ExecuteCommandConfiguration
                {
                    KmsKeyId = exec.KmsKeyId,
                    Logging = exec.Logging,
                    LogConfiguration = exec.LogConfiguration is not { } log ? null : new Ecs.ExecuteCommandLogConfiguration
                    {
                        CloudWatchLogGroupName = log.CloudWatchLogGroupName,
                        CloudWatchEncryptionEnabled = log.CloudWatchEncryptionEnabled,
                        S3BucketName = log.S3BucketName,
                        S3EncryptionEnabled = log.S3EncryptionEnabled,
                        S3KeyPrefix = log.S3KeyPrefix,
                    },
                },
            },
            spec.ServiceConnectDefaults?.Namespace,
            spec.CapacityProviders,
            spec.DefaultCapacityProviderStrategy?.Select(s => new Ecs.CapacityProviderStrategyItem(s.CapacityProvider, s.Weight, s.Base)).ToList());
    }

    /// <summary>
    /// A note when the managed tags hold keys that differ only in case (the guide's provider sets <c>environment</c>, its
    /// clusters <c>Environment</c>): ECS tag keys are case-sensitive, so the cluster gets both; null when there are none.
    /// </summary>
    public static string? CaseOnlyTagNote(ECSCluster obj, AWSProvider provider)
    {
        var sources = (provider.Spec.DefaultTags ?? []).Keys.Select(k => (Key: k, From: "the provider's defaultTags"))
            .Concat((obj.Spec.Tags ?? []).Keys.Select(k => (Key: k, From: "spec.tags")))
            .DistinctBy(t => t.Key, StringComparer.Ordinal);
        var clashes = sources.GroupBy(t => t.Key, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).ToList();
        if (clashes.Count == 0)
        {
            return null;
        }
        var listed = string.Join("; ", clashes.Select(g => string.Join(" and ", g.Select(t => $"{t.Key} ({t.From})"))));
        return $"tag keys that differ only in case are separate tags in ECS, so the cluster has each of them: {listed}";
    }

    public Ecs.CreateClusterRequest ToCreateRequest() => new()
    {
        ClusterName = Name,
        Tags = [.. Tags.Select(t => new Ecs.Tag(t.Key, t.Value))],
        Settings = Settings,
        Configuration = Configuration,
        CapacityProviders = CapacityProviders,
        DefaultCapacityProviderStrategy = Strategy,
        ServiceConnectDefaults = ServiceConnectNamespace is null ? null : new Ecs.ClusterServiceConnectDefaults(ServiceConnectNamespace),
    };
}
