using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// What an ECSCluster asks of AWS, in the ECS API's terms. Parts that are not managed (null: the spec leaves them
/// out and never set them, see <see cref="SpecFields"/>) are left as they are in AWS; a managed part the spec no longer
/// sets is asked for empty (no capacity providers or strategy, ECS Exec <c>logging: DEFAULT</c>, Service Connect
/// namespace <c>""</c>, which ECS takes as "remove"). Tags are managed as a whole set: the provider's defaultTags,
/// overridden by the spec's tags, plus the ownership tag.
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
        var configurationManaged = spec.Configuration is not null || SpecFields.WasManaged(obj, SpecFields.Configuration);
        return new DesiredCluster(
            spec.ClusterName,
            tags,
            spec.Settings?.Select(s => new Ecs.ClusterSetting(s.Name, s.Value)).ToList(),
            !configurationManaged ? null : new Ecs.ClusterConfiguration
            {
                ExecuteCommandConfiguration = exec is null ? new Ecs.ExecuteCommandConfiguration { Logging = "DEFAULT" } : new Ecs.ExecuteCommandConfiguration
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
            spec.ServiceConnectDefaults?.Namespace ?? (SpecFields.WasManaged(obj, SpecFields.ServiceConnectDefaults) ? "" : null),
            spec.CapacityProviders ?? (SpecFields.WasManaged(obj, SpecFields.CapacityProviders) ? [] : null),
            spec.DefaultCapacityProviderStrategy?.Select(s => new Ecs.CapacityProviderStrategyItem(s.CapacityProvider, s.Weight, s.Base)).ToList()
                ?? (SpecFields.WasManaged(obj, SpecFields.Strategy) ? [] : null));
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
        ServiceConnectDefaults = string.IsNullOrEmpty(ServiceConnectNamespace) ? null : new Ecs.ClusterServiceConnectDefaults(ServiceConnectNamespace),
    };
}
