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
