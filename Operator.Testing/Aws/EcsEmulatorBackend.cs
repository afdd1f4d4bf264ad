using System.Globalization;
using System.Text.RegularExpressions;
using Operator.Core.Aws.Ecs.Model;

namespace Operator.Testing.Aws;

/// <summary>
/// The ECS semantics of the emulator, per (account, region), following AWS where moto does not:
/// <list type="bullet">
/// <item>CreateCluster of an existing ACTIVE/PROVISIONING name returns it unchanged; of an INACTIVE name
/// re-activates it with the new request's state; a new cluster is PROVISIONING for
/// <see cref="AwsEmulatorOptions.ProvisioningDuration"/>.</item>
/// <item>DeleteCluster refuses while services, container instances or tasks remain (counts set through
/// <see cref="SetWorkload"/>); a deleted cluster is described as INACTIVE for
/// <see cref="AwsEmulatorOptions.InactiveRetention"/>, then MISSING.</item>
/// <item>Capacity providers must exist (FARGATE, FARGATE_SPOT built in, others via
/// <see cref="RegisterCapacityProvider"/>); an association is UPDATE_IN_PROGRESS for
/// <see cref="AwsEmulatorOptions.AttachmentUpdateDuration"/>, during which another PutClusterCapacityProviders
/// fails with UpdateInProgressException.</item>
/// <item>Validation: cluster name pattern, tags (≤ 50, no <c>aws:</c> keys, lengths), settings, strategy
/// (weight 0–1000, base 0–100000, one base &gt; 0, ≤ 6 items, providers associated).</item>
/// <item>DescribeClusters returns settings/configuration/tags/statistics/attachments only when included.</item>
/// </list>
/// Thread-safe (one lock); all time from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class EcsEmulatorBackend(AwsEmulatorOptions options)
{
    private static readonly string[] BuiltInProviders = ["FARGATE", "FARGATE_SPOT"];
    private static readonly string[] InsightsValues = ["enabled", "disabled", "enhanced"];
    private readonly object _lock = new();
    private readonly Dictionary<(string Account, string Region), Dictionary<string, EmulatedCluster>> _clusters = [];
    private readonly Dictionary<(string Account, string Region), HashSet<string>> _providers = [];

    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    /// <summary>Makes a custom (Auto Scaling group) capacity provider exist in an account and region.</summary>
    public void RegisterCapacityProvider(string accountId, string region, string name)
    {
        lock (_lock)
        {
            Providers(accountId, region).Add(name);
        }
    }

    /// <summary>Sets what runs in a cluster: drives the counts, statistics and DeleteCluster's refusals.</summary>
    public void SetWorkload(string accountId, string region, string clusterName, int activeServices = 0, int runningTasks = 0, int pendingTasks = 0, int containerInstances = 0)
    {
        lock (_lock)
        {
            var cluster = FindLive(accountId, region, clusterName) ?? throw new InvalidOperationException($"No live cluster {clusterName}.");
            cluster.ActiveServices = activeServices;
            cluster.RunningTasks = runningTasks;
            cluster.PendingTasks = pendingTasks;
            cluster.RegisteredContainerInstances = containerInstances;
        }
    }

    /// <summary>Number of clusters (any status still retained) in an account and region.</summary>
    public int ClusterCount(string accountId, string region, bool includeInactive = false)
    {
        lock (_lock)
        {
            return Clusters(accountId, region).Values.Count(c => includeInactive ? !Expired(c) : !c.Deleted);
        }
    }

    /// <summary>Forgets every cluster and custom capacity provider.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _clusters.Clear();
            _providers.Clear();
        }
    }

    public CreateClusterResponse CreateCluster(string account, string region, CreateClusterRequest request)
    {
        var name = string.IsNullOrEmpty(request.ClusterName) ? "default" : request.ClusterName;
        if (!ClusterNamePattern().IsMatch(name))
        {
            throw AwsEmulatorError.InvalidParameter("Cluster name can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.");
        }

        var tags = request.Tags?.ToList() ?? [];
        ValidateTags(tags);
        var settings = request.Settings?.ToList() ?? [];
        ValidateSettings(settings);
        lock (_lock)
        {
            var all = Clusters(account, region);
            if (all.TryGetValue(name, out var existing) && !existing.Deleted)
            {
                return new CreateClusterResponse { Cluster = Render(existing, ClusterField.All) };
            }

            var providers = request.CapacityProviders?.ToList() ?? [];
            var strategy = request.DefaultCapacityProviderStrategy?.ToList() ?? [];
            ValidateProviders(account, region, providers, strategy);
            var cluster = new EmulatedCluster(name, ClusterArn(account, region, name))
            {
                Generation = (existing?.Generation ?? 0) + 1,
                CreatedAt = Now,
                Tags = tags,
                Settings = settings.Count > 0 ? settings : [new ClusterSetting("containerInsights", "disabled")],
                Configuration = request.Configuration,
                ServiceConnectDefaults = request.ServiceConnectDefaults,
            };
            all[name] = cluster;
            if (providers.Count > 0 || strategy.Count > 0)
            {
                Associate(cluster, providers, strategy);
            }

            return new CreateClusterResponse { Cluster = Render(cluster, ClusterField.All) };
        }
    }

    public DescribeClustersResponse DescribeClusters(string account, string region, DescribeClustersRequest request)
    {
        if (request.Clusters is { Count: > 100 })
        {
            throw AwsEmulatorError.InvalidParameter("Clusters can have at most 100 items.");
        }

        var include = request.Include ?? [];
        var clusters = new List<Cluster>();
        var failures = new List<Failure>();
        lock (_lock)
        {
            foreach (var reference in request.Clusters is { Count: > 0 } names ? names : ["default"])
            {
                var name = NameOf(reference);
                var cluster = Clusters(account, region).GetValueOrDefault(name);
                if (cluster is null || Expired(cluster) || !ArnMatches(reference, account, region))
                {
                    failures.Add(new Failure(reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : ClusterArn(account, region, name), "MISSING"));
                }
                else
                {
                    clusters.Add(Render(cluster, include));
                }
            }
        }

        return new DescribeClustersResponse { Clusters = clusters, Failures = failures };
    }

    public UpdateClusterResponse UpdateCluster(string account, string region, UpdateClusterRequest request)
    {
        var settings = request.Settings?.ToList();
        if (settings is not null)
        {
            ValidateSettings(settings);
        }

        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            if (settings is not null)
            {
                MergeSettings(cluster, settings);
            }

            if (request.Configuration is not null)
            {
                cluster.Configuration = request.Configuration;
            }

            if (request.ServiceConnectDefaults is not null)
            {
                cluster.ServiceConnectDefaults = request.ServiceConnectDefaults;
            }

            return new UpdateClusterResponse { Cluster = Render(cluster, ClusterField.All) };
        }
    }

    public UpdateClusterSettingsResponse UpdateClusterSettings(string account, string region, UpdateClusterSettingsRequest request)
    {
        var settings = request.Settings?.ToList() ?? [];
        if (settings.Count == 0)
        {
            throw AwsEmulatorError.InvalidParameter("Settings must not be empty.");
        }

        ValidateSettings(settings);
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            MergeSettings(cluster, settings);
            return new UpdateClusterSettingsResponse { Cluster = Render(cluster, ClusterField.All) };
        }
    }

    public PutClusterCapacityProvidersResponse PutClusterCapacityProviders(string account, string region, PutClusterCapacityProvidersRequest request)
    {
        var providers = request.CapacityProviders?.ToList() ?? throw AwsEmulatorError.InvalidParameter("capacityProviders is required.");
        var strategy = request.DefaultCapacityProviderStrategy?.ToList() ?? throw AwsEmulatorError.InvalidParameter("defaultCapacityProviderStrategy is required.");
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            if (UpdateInProgress(cluster))
            {
                throw new AwsEmulatorError("UpdateInProgressException",
                    "The specified cluster is in a busy state. Cluster attachments must be in UPDATE_COMPLETE or UPDATE_FAILED state before they can be updated. Wait and try again.");
            }

            ValidateProviders(account, region, providers, strategy);
            Associate(cluster, providers, strategy);
            return new PutClusterCapacityProvidersResponse { Cluster = Render(cluster, ClusterField.All) };
        }
    }

    public TagResourceResponse TagResource(string account, string region, TagResourceRequest request)
    {
        var tags = request.Tags?.ToList() ?? [];
        if (tags.Count == 0)
        {
            throw AwsEmulatorError.InvalidParameter("Tags must not be empty.");
        }

        ValidateTags(tags);
        lock (_lock)
        {
            var cluster = ByArn(account, region, request.ResourceArn);
            var merged = cluster.Tags.Where(t => tags.All(n => n.Key != t.Key)).Concat(tags).ToList();
            ValidateTags(merged);
            cluster.Tags = merged;
        }

        return new TagResourceResponse();
    }

    public UntagResourceResponse UntagResource(string account, string region, UntagResourceRequest request)
    {
        var keys = request.TagKeys ?? [];
        if (keys.Any(k => k.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)))
        {
            throw AwsEmulatorError.InvalidParameter("Tag keys prefixed with 'aws:' are reserved for AWS use and cannot be removed.");
        }

        lock (_lock)
        {
            var cluster = ByArn(account, region, request.ResourceArn);
            cluster.Tags = cluster.Tags.Where(t => !keys.Contains(t.Key)).ToList();
        }

        return new UntagResourceResponse();
    }

    public ListTagsForResourceResponse ListTagsForResource(string account, string region, ListTagsForResourceRequest request)
    {
        lock (_lock)
        {
            return new ListTagsForResourceResponse { Tags = [.. ByArn(account, region, request.ResourceArn).Tags] };
        }
    }

    public DeleteClusterResponse DeleteCluster(string account, string region, DeleteClusterRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            if (cluster.ActiveServices > 0)
            {
                throw new AwsEmulatorError("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
            }

            if (cluster.RegisteredContainerInstances > 0)
            {
                throw new AwsEmulatorError("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.");
            }

            if (cluster.RunningTasks + cluster.PendingTasks > 0)
            {
                throw new AwsEmulatorError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
            }

            if (UpdateInProgress(cluster))
            {
                throw new AwsEmulatorError("UpdateInProgressException", "The specified cluster is in a busy state. Wait and try again.");
            }

            cluster.Deleted = true;
            cluster.DeletedAt = Now;
            cluster.CapacityProviders = [];
            cluster.Strategy = [];
            cluster.AttachedProviders = [];
            cluster.HasAttachmentUpdate = false;
            return new DeleteClusterResponse { Cluster = Render(cluster, ClusterField.All) };
        }
    }

    public DescribeCapacityProvidersResponse DescribeCapacityProviders(string account, string region, DescribeCapacityProvidersRequest request)
    {
        lock (_lock)
        {
            var known = BuiltInProviders.Concat(Providers(account, region).Order(StringComparer.Ordinal)).ToList();
            var wanted = request.CapacityProviders is { Count: > 0 } names ? names : known;
            var found = new List<CapacityProvider>();
            var failures = new List<Failure>();
            foreach (var reference in wanted)
            {
                var name = reference.Split('/').Last();
                if (known.Contains(name))
                {
                    found.Add(new CapacityProvider
                    {
                        CapacityProviderArn = BuiltInProviders.Contains(name) ? $"arn:aws:ecs:{region}:{account}:capacity-provider/{name}" : ProviderArn(account, region, name),
                        Name = name,
                        Status = "ACTIVE",
                        Type = BuiltInProviders.Contains(name) ? "FARGATE" : "EC2_AUTOSCALING",
                        Tags = [],
                    });
                }
                else
                {
                    failures.Add(new Failure(reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : ProviderArn(account, region, name), "MISSING"));
                }
            }

            return new DescribeCapacityProvidersResponse { CapacityProviders = found, Failures = failures };
        }
    }

    public ListServicesResponse ListServices(string account, string region, ListServicesRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var (page, next) = Page(Enumerable.Range(1, cluster.ActiveServices).Select(i => $"arn:aws:ecs:{region}:{account}:service/{cluster.Name}/service-{i}"), request.MaxResults, request.NextToken, 10);
            return new ListServicesResponse { ServiceArns = page, NextToken = next };
        }
    }

    public ListTasksResponse ListTasks(string account, string region, ListTasksRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var count = request.DesiredStatus switch
            {
                "STOPPED" => 0,
                "PENDING" => cluster.PendingTasks,
                "RUNNING" => cluster.RunningTasks,
                _ => cluster.RunningTasks + cluster.PendingTasks,
            };
            var (page, next) = Page(Enumerable.Range(1, count).Select(i => $"arn:aws:ecs:{region}:{account}:task/{cluster.Name}/{i:x32}"), request.MaxResults, request.NextToken, 100);
            return new ListTasksResponse { TaskArns = page, NextToken = next };
        }
    }

    public ListContainerInstancesResponse ListContainerInstances(string account, string region, ListContainerInstancesRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var (page, next) = Page(Enumerable.Range(1, cluster.RegisteredContainerInstances).Select(i => $"arn:aws:ecs:{region}:{account}:container-instance/{cluster.Name}/{i:x32}"), request.MaxResults, request.NextToken, 100);
            return new ListContainerInstancesResponse { ContainerInstanceArns = page, NextToken = next };
        }
    }

    private static (List<string> Page, string? Next) Page(IEnumerable<string> all, int? maxResults, string? nextToken, int defaultMax)
    {
        var max = maxResults ?? defaultMax;
        if (max is < 1 or > 100)
        {
            throw AwsEmulatorError.InvalidParameter("maxResults must be between 1 and 100.");
        }

        var start = nextToken is null ? 0 : int.TryParse(nextToken, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
            : throw AwsEmulatorError.InvalidParameter("Invalid nextToken.");
        var items = all.ToList();
        var page = items.Skip(start).Take(max).ToList();
        return (page, start + max < items.Count ? (start + max).ToString(CultureInfo.InvariantCulture) : null);
    }

    private void Associate(EmulatedCluster cluster, List<string> providers, List<CapacityProviderStrategyItem> strategy)
    {
        cluster.CapacityProviders = providers;
        cluster.Strategy = strategy;
        cluster.AttachedProviders = providers.Where(p => !BuiltInProviders.Contains(p)).ToList();
        cluster.HasAttachmentUpdate = true;
        cluster.AttachmentsUpdateUntil = Now + options.AttachmentUpdateDuration;
    }

    private bool UpdateInProgress(EmulatedCluster cluster) =>
        cluster.HasAttachmentUpdate && cluster.AttachmentsUpdateUntil is { } until && Now < until;

    private void ValidateProviders(string account, string region, List<string> providers, List<CapacityProviderStrategyItem> strategy)
    {
        var known = Providers(account, region);
        foreach (var provider in providers)
        {
            if (!BuiltInProviders.Contains(provider) && !known.Contains(provider.Split('/').Last()))
            {
                throw AwsEmulatorError.InvalidParameter($"The specified capacity provider '{provider}' does not exist. Specify a valid name or ARN and try again.");
            }
        }

        if (providers.Count != providers.Distinct(StringComparer.Ordinal).Count())
        {
            throw AwsEmulatorError.InvalidParameter("Capacity providers must be unique.");
        }

        if (strategy.Count > 6)
        {
            throw AwsEmulatorError.InvalidParameter("The capacity provider strategy can contain at most 6 items.");
        }

        foreach (var item in strategy)
        {
            if (item.Weight is < 0 or > 1000)
            {
                throw AwsEmulatorError.InvalidParameter("The weight of a capacity provider strategy item must be between 0 and 1000.");
            }

            if (item.Base is < 0 or > 100000)
            {
                throw AwsEmulatorError.InvalidParameter("The base of a capacity provider strategy item must be between 0 and 100000.");
            }

            if (!providers.Contains(item.CapacityProvider))
            {
                throw AwsEmulatorError.InvalidParameter($"The capacity provider '{item.CapacityProvider}' in the default strategy is not associated with the cluster.");
            }
        }

        if (strategy.Count(i => i.Base > 0) > 1)
        {
            throw AwsEmulatorError.InvalidParameter("Only one capacity provider in a strategy can have a base defined.");
        }

        if (strategy.Count > 0 && strategy.All(i => (i.Weight ?? 0) == 0))
        {
            throw AwsEmulatorError.InvalidParameter("At least one capacity provider in the strategy must have a weight greater than 0.");
        }
    }

    private static void ValidateTags(List<Tag> tags)
    {
        if (tags.Count > 50)
        {
            throw AwsEmulatorError.InvalidParameter("A resource can have at most 50 tags.");
        }

        foreach (var tag in tags)
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128 || (tag.Value?.Length ?? 0) > 256)
            {
                throw AwsEmulatorError.InvalidParameter("Tag keys must be 1-128 characters and values at most 256 characters.");
            }

            if (tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw AwsEmulatorError.InvalidParameter("Tag keys prefixed with 'aws:' are reserved for AWS use.");
            }
        }

        if (tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != tags.Count)
        {
            throw AwsEmulatorError.InvalidParameter("Duplicate tag keys.");
        }
    }

    private static void ValidateSettings(List<ClusterSetting> settings)
    {
        foreach (var setting in settings)
        {
            if (setting.Name != "containerInsights")
            {
                throw AwsEmulatorError.InvalidParameter($"Unsupported cluster setting '{setting.Name}'. Valid name: containerInsights.");
            }

            if (!InsightsValues.Contains(setting.Value))
            {
                throw AwsEmulatorError.InvalidParameter($"Invalid containerInsights value '{setting.Value}'. Valid values: enabled, disabled, enhanced.");
            }
        }
    }

    private static void MergeSettings(EmulatedCluster cluster, List<ClusterSetting> settings) =>
        cluster.Settings = cluster.Settings.Where(s => settings.All(n => n.Name != s.Name)).Concat(settings).ToList();

    private Cluster Render(EmulatedCluster c, IReadOnlyList<string> include)
    {
        var status = c.Deleted ? "INACTIVE" : Now - c.CreatedAt < options.ProvisioningDuration ? "PROVISIONING" : "ACTIVE";
        var inProgress = UpdateInProgress(c);
        string? attachmentsStatus = c.HasAttachmentUpdate ? (inProgress ? "UPDATE_IN_PROGRESS" : "UPDATE_COMPLETE") : null;
        return new Cluster
        {
            ClusterArn = c.Arn,
            ClusterName = c.Name,
            Status = status,
            RegisteredContainerInstancesCount = c.RegisteredContainerInstances,
            RunningTasksCount = c.RunningTasks,
            PendingTasksCount = c.PendingTasks,
            ActiveServicesCount = c.ActiveServices,
            CapacityProviders = [.. c.CapacityProviders],
            DefaultCapacityProviderStrategy = [.. c.Strategy],
            ServiceConnectDefaults = c.ServiceConnectDefaults,
            AttachmentsStatus = attachmentsStatus,
            Tags = include.Contains(ClusterField.Tags) ? [.. c.Tags] : null,
            Settings = include.Contains(ClusterField.Settings) ? [.. c.Settings] : null,
            Configuration = include.Contains(ClusterField.Configurations) ? c.Configuration ?? new ClusterConfiguration() : null,
            Statistics = include.Contains(ClusterField.Statistics) ? Statistics(c) : null,
            Attachments = include.Contains(ClusterField.Attachments)
                ? c.AttachedProviders.Select((p, i) => new Attachment
                {
                    Id = $"{c.Generation:x8}-{i:x4}-4000-8000-{p.GetHashCode() & 0xffffff:x12}",
                    Type = "as_policy",
                    Status = c.Deleted ? "DELETED" : inProgress ? "PRECREATED" : "CREATED",
                    Details = [new EcsKeyValuePair("capacityProviderName", p), new EcsKeyValuePair("scalingPolicyName", $"ECSManagedAutoScalingPolicy-{c.Name}-{p}")],
                }).ToList()
                : null,
        };
    }

    private static List<EcsKeyValuePair> Statistics(EmulatedCluster c)
    {
        static EcsKeyValuePair Stat(string name, int value) => new(name, value.ToString(CultureInfo.InvariantCulture));
        return
        [
            Stat("runningEC2TasksCount", 0),
            Stat("runningFargateTasksCount", c.RunningTasks),
            Stat("pendingEC2TasksCount", 0),
            Stat("pendingFargateTasksCount", c.PendingTasks),
            Stat("activeEC2ServiceCount", 0),
            Stat("activeFargateServiceCount", c.ActiveServices),
            Stat("drainingEC2ServiceCount", 0),
            Stat("drainingFargateServiceCount", 0),
        ];
    }

    private EmulatedCluster Live(string account, string region, string? reference)
    {
        var cluster = FindLive(account, region, string.IsNullOrEmpty(reference) ? "default" : reference);
        return cluster ?? throw AwsEmulatorError.ClusterNotFound();
    }

    private EmulatedCluster? FindLive(string account, string region, string reference)
    {
        if (!ArnMatches(reference, account, region))
        {
            return null;
        }

        var cluster = Clusters(account, region).GetValueOrDefault(NameOf(reference));
        return cluster is { Deleted: false } ? cluster : null;
    }

    private EmulatedCluster ByArn(string account, string region, string? arn)
    {
        if (string.IsNullOrEmpty(arn) || !arn.StartsWith("arn:", StringComparison.Ordinal))
        {
            throw AwsEmulatorError.InvalidParameter("The ARN provided is invalid.");
        }

        if (!arn.Contains(":cluster/", StringComparison.Ordinal))
        {
            throw new AwsEmulatorError("ResourceNotFoundException", "The specified resource could not be found.");
        }

        return FindLive(account, region, arn) ?? throw AwsEmulatorError.ClusterNotFound();
    }

    private bool Expired(EmulatedCluster c) => c.Deleted && c.DeletedAt is { } at && Now - at >= options.InactiveRetention;

    private Dictionary<string, EmulatedCluster> Clusters(string account, string region)
    {
        if (!_clusters.TryGetValue((account, region), out var clusters))
        {
            _clusters[(account, region)] = clusters = new Dictionary<string, EmulatedCluster>(StringComparer.Ordinal);
        }

        return clusters;
    }

    private HashSet<string> Providers(string account, string region)
    {
        if (!_providers.TryGetValue((account, region), out var providers))
        {
            _providers[(account, region)] = providers = new HashSet<string>(StringComparer.Ordinal);
        }

        return providers;
    }

    private static string NameOf(string reference) => reference.StartsWith("arn:", StringComparison.Ordinal) ? reference.Split('/').Last() : reference;

    private static bool ArnMatches(string reference, string account, string region) =>
        !reference.StartsWith("arn:", StringComparison.Ordinal) || reference.StartsWith($"arn:aws:ecs:{region}:{account}:cluster/", StringComparison.Ordinal);

    private static string ClusterArn(string account, string region, string name) => $"arn:aws:ecs:{region}:{account}:cluster/{name}";

    private static string ProviderArn(string account, string region, string name) => $"arn:aws:ecs:{region}:{account}:capacity-provider/{name}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex ClusterNamePattern();
}
