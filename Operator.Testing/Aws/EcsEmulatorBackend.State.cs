using Operator.Core.Aws.Ecs.Model;

namespace Operator.Testing.Aws;

// The whole ECS state as one JSON document, so local mode can keep it across restarts (--state-dir): every cluster of
// every account and region (INACTIVE ones included, with their workload), and the capacity providers created with
// CreateCapacityProvider or registered by a test. Tag-change audit entries are not kept. Import replaces the state.
internal sealed partial class EcsEmulatorBackend
{
    public string ExportState()
    {
        lock (_lock)
        {
            var state = new EcsState(
                [.. _clusters.SelectMany(a => a.Value.Values.Select(c => ClusterState.From(a.Key.Account, a.Key.Region, c)))],
                [.. _providers.SelectMany(a => a.Value.Select(name => new ProviderState(a.Key.Account, a.Key.Region, name,
                    _createdProviders.GetValueOrDefault((a.Key.Account, a.Key.Region, name)))))]);
            return JsonSerializer.Serialize(state, EmulatorEcsJson.Options);
        }
    }

    public void ImportState(string json)
    {
        var state = JsonSerializer.Deserialize<EcsState>(json, EmulatorEcsJson.Options) ?? throw new InvalidDataException("empty ECS state");
        lock (_lock)
        {
            _clusters.Clear();
            _providers.Clear();
            _createdProviders.Clear();
            foreach (var c in state.Clusters)
            {
                Clusters(c.Account, c.Region)[c.Name] = c.ToCluster();
            }
            foreach (var p in state.CapacityProviders)
            {
                Providers(p.Account, p.Region).Add(p.Name);
                if (p.Created is { } created)
                {
                    _createdProviders[(p.Account, p.Region, p.Name)] = created;
                }
            }
        }
    }

    private sealed record EcsState(List<ClusterState> Clusters, List<ProviderState> CapacityProviders);

    private sealed record ProviderState(string Account, string Region, string Name, EmulatedCapacityProvider? Created);

    private sealed record ServiceState(string Name, string Arn, string Status, int DesiredCount, string TaskDefinition, string LaunchType, DateTimeOffset CreatedAt);

    private sealed record TaskState(string Arn, string LastStatus, string DesiredStatus, string TaskDefinitionArn, string LaunchType,
        string? Group, string? StartedBy, string? StoppedReason, DateTimeOffset CreatedAt);

    private sealed record InstanceState(string Arn, string Ec2InstanceId, string Status, DateTimeOffset RegisteredAt);

    private sealed record ClusterState(
        string Account, string Region, string Name, string Arn, int Generation, bool Deleted, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt,
        List<Tag> Tags, List<ClusterSetting> Settings, ClusterConfiguration? Configuration, ClusterServiceConnectDefaults? ServiceConnectDefaults,
        List<string> CapacityProviders, List<CapacityProviderStrategyItem> Strategy, List<string> AttachedProviders,
        DateTimeOffset? AttachmentsUpdateUntil, bool HasAttachmentUpdate, List<ServiceState> Services, List<TaskState> Tasks, List<InstanceState> Instances)
    {
        public static ClusterState From(string account, string region, EmulatedCluster c) => new(
            account, region, c.Name, c.Arn, c.Generation, c.Deleted, c.CreatedAt, c.DeletedAt, c.Tags, c.Settings, c.Configuration,
            c.ServiceConnectDefaults, c.CapacityProviders, c.Strategy, c.AttachedProviders, c.AttachmentsUpdateUntil, c.HasAttachmentUpdate,
            [.. c.Services.Select(s => new ServiceState(s.Name, s.Arn, s.Status, s.DesiredCount, s.TaskDefinition, s.LaunchType, s.CreatedAt))],
            [.. c.Tasks.Select(t => new TaskState(t.Arn, t.LastStatus, t.DesiredStatus, t.TaskDefinitionArn, t.LaunchType, t.Group, t.StartedBy, t.StoppedReason, t.CreatedAt))],
            [.. c.Instances.Select(i => new InstanceState(i.Arn, i.Ec2InstanceId, i.Status, i.RegisteredAt))]);

        public EmulatedCluster ToCluster()
        {
            var cluster = new EmulatedCluster(Name, Arn)
            {
                Generation = Generation, Deleted = Deleted, CreatedAt = CreatedAt, DeletedAt = DeletedAt, Tags = Tags, Settings = Settings,
                Configuration = Configuration, ServiceConnectDefaults = ServiceConnectDefaults, CapacityProviders = CapacityProviders,
                Strategy = Strategy, AttachedProviders = AttachedProviders, AttachmentsUpdateUntil = AttachmentsUpdateUntil,
                HasAttachmentUpdate = HasAttachmentUpdate,
            };
            cluster.Services.AddRange(Services.Select(s => new EmulatedService(s.Name, s.Arn)
            {
                Status = s.Status, DesiredCount = s.DesiredCount, TaskDefinition = s.TaskDefinition, LaunchType = s.LaunchType, CreatedAt = s.CreatedAt,
            }));
            cluster.Tasks.AddRange(Tasks.Select(t => new EmulatedTask(t.Arn)
            {
                LastStatus = t.LastStatus, DesiredStatus = t.DesiredStatus, TaskDefinitionArn = t.TaskDefinitionArn, LaunchType = t.LaunchType,
                Group = t.Group, StartedBy = t.StartedBy, StoppedReason = t.StoppedReason, CreatedAt = t.CreatedAt,
            }));
            cluster.Instances.AddRange(Instances.Select(i => new EmulatedInstance(i.Arn, i.Ec2InstanceId) { Status = i.Status, RegisteredAt = i.RegisteredAt }));
            return cluster;
        }
    }
}
