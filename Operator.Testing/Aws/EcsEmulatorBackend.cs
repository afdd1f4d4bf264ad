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
/// <item>The workload that blocks DeleteCluster is real state (also set wholesale by <see cref="SetWorkload"/>):
/// CreateService (any task definition is accepted; its desired count of tasks start RUNNING at once),
/// DeleteService (refused while scaled above 0 unless <c>force</c>; then its tasks stop and it leaves ListServices
/// at once), RunTask/StopTask (a stopped task of an ACTIVE service is replaced, as the service scheduler does;
/// stopped tasks stay listed under desiredStatus STOPPED), RegisterContainerInstance (any identity document) and
/// DeregisterContainerInstance. The counts DescribeClusters reports are derived from it. ListClusters pages the
/// live clusters; CreateCapacityProvider takes any Auto Scaling group ARN as is.</item>
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
    private readonly Dictionary<(string Account, string Region, string Name), EmulatedCapacityProvider> _createdProviders = [];
    private readonly List<TagChange> _tagChanges = [];

    /// <summary>Every change TagResource or UntagResource made to a cluster's tags, in order (for ownership audits).</summary>
    public IReadOnlyList<TagChange> TagChanges
    {
        get
        {
            lock (_lock)
            {
                return [.. _tagChanges];
            }
        }
    }

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
            cluster.Services.Clear();
            cluster.Tasks.Clear();
            cluster.Instances.Clear();
            for (var i = 1; i <= activeServices; i++)
            {
                var name = $"service-{i}";
                cluster.Services.Add(new EmulatedService(name, $"arn:aws:ecs:{region}:{accountId}:service/{cluster.Name}/{name}") { CreatedAt = Now, TaskDefinition = "workload:1" });
            }

            for (var i = 1; i <= runningTasks + pendingTasks; i++)
            {
                cluster.Tasks.Add(new EmulatedTask($"arn:aws:ecs:{region}:{accountId}:task/{cluster.Name}/{i:x32}")
                {
                    LastStatus = i <= runningTasks ? "RUNNING" : "PENDING",
                    TaskDefinitionArn = $"arn:aws:ecs:{region}:{accountId}:task-definition/workload:1",
                    CreatedAt = Now,
                });
            }

            for (var i = 1; i <= containerInstances; i++)
            {
                cluster.Instances.Add(new EmulatedInstance($"arn:aws:ecs:{region}:{accountId}:container-instance/{cluster.Name}/{i:x32}", $"i-{i:x17}") { RegisteredAt = Now });
            }
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
            _createdProviders.Clear();
            _tagChanges.Clear();
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
                // ECS: an empty namespace removes the cluster's Service Connect defaults.
                cluster.ServiceConnectDefaults = string.IsNullOrEmpty(request.ServiceConnectDefaults.Namespace) ? null : request.ServiceConnectDefaults;
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
            _tagChanges.Add(new TagChange(cluster.Name, cluster.Tags, merged));
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
            var remaining = cluster.Tags.Where(t => !keys.Contains(t.Key)).ToList();
            _tagChanges.Add(new TagChange(cluster.Name, cluster.Tags, remaining));
            cluster.Tags = remaining;
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

    public EmulatorDescribeCapacityProvidersResponse DescribeCapacityProviders(string account, string region, DescribeCapacityProvidersRequest request)
    {
        lock (_lock)
        {
            var known = BuiltInProviders.Concat(Providers(account, region).Order(StringComparer.Ordinal)).ToList();
            var wanted = request.CapacityProviders is { Count: > 0 } names ? names : known;
            var found = new List<EmulatedCapacityProvider>();
            var failures = new List<Failure>();
            foreach (var reference in wanted)
            {
                var name = reference.Split('/').Last();
                if (known.Contains(name))
                {
                    found.Add(_createdProviders.GetValueOrDefault((account, region, name)) ?? new EmulatedCapacityProvider
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

            return new EmulatorDescribeCapacityProvidersResponse { CapacityProviders = found, Failures = failures };
        }
    }

    public ListServicesResponse ListServices(string account, string region, ListServicesRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var (page, next) = Page(cluster.Services.Where(s => s.Status == "ACTIVE").Select(s => s.Arn), request.MaxResults, request.NextToken, 10);
            return new ListServicesResponse { ServiceArns = page, NextToken = next };
        }
    }

    public ListTasksResponse ListTasks(string account, string region, ListTasksRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var tasks = cluster.Tasks.Where(t => request.DesiredStatus switch
            {
                "STOPPED" => t.LastStatus == "STOPPED",
                "PENDING" => t.LastStatus == "PENDING",
                "RUNNING" => t.LastStatus == "RUNNING",
                _ => t.LastStatus != "STOPPED",
            });
            if (!string.IsNullOrEmpty(request.ServiceName))
            {
                var service = FindService(cluster, request.ServiceName) ?? throw new AwsEmulatorError("ServiceNotFoundException", "Service not found.");
                tasks = tasks.Where(t => t.Group == service.Group);
            }

            if (!string.IsNullOrEmpty(request.Family))
            {
                tasks = tasks.Where(t => t.TaskDefinitionArn.Split('/').Last().Split(':')[0] == request.Family);
            }

            var (page, next) = Page(tasks.Select(t => t.Arn), request.MaxResults, request.NextToken, 100);
            return new ListTasksResponse { TaskArns = page, NextToken = next };
        }
    }

    public ListContainerInstancesResponse ListContainerInstances(string account, string region, ListContainerInstancesRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var (page, next) = Page(cluster.Instances.Where(i => i.Status is "ACTIVE" or "DRAINING").Select(i => i.Arn), request.MaxResults, request.NextToken, 100);
            return new ListContainerInstancesResponse { ContainerInstanceArns = page, NextToken = next };
        }
    }

    public ListClustersResponse ListClusters(string account, string region, ListClustersRequest request)
    {
        lock (_lock)
        {
            var arns = Clusters(account, region).Values.Where(c => !c.Deleted).OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Arn);
            var (page, next) = Page(arns, request.MaxResults, request.NextToken, 100);
            return new ListClustersResponse { ClusterArns = page, NextToken = next };
        }
    }

    public CreateCapacityProviderResponse CreateCapacityProvider(string account, string region, CreateCapacityProviderRequest request)
    {
        var name = request.Name ?? throw AwsEmulatorError.InvalidParameter("name is required.");
        if (!ClusterNamePattern().IsMatch(name) ||
            new[] { "aws", "ecs", "fargate" }.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            throw AwsEmulatorError.InvalidParameter("The specified capacity provider name is invalid. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed, and the name can't be prefixed with \"aws\", \"ecs\", or \"fargate\".");
        }

        var asg = request.AutoScalingGroupProvider;
        if (string.IsNullOrEmpty(asg?.AutoScalingGroupArn))
        {
            throw AwsEmulatorError.InvalidParameter("autoScalingGroupProvider.autoScalingGroupArn is required.");
        }

        var tags = request.Tags?.ToList() ?? [];
        ValidateTags(tags);
        lock (_lock)
        {
            if (Providers(account, region).Contains(name))
            {
                throw new AwsEmulatorError("ClientException", "The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.");
            }

            var provider = new EmulatedCapacityProvider
            {
                CapacityProviderArn = ProviderArn(account, region, name),
                Name = name,
                Status = "ACTIVE",
                Type = "EC2_AUTOSCALING",
                AutoScalingGroupProvider = asg with
                {
                    ManagedTerminationProtection = asg.ManagedTerminationProtection ?? "DISABLED",
                    ManagedDraining = asg.ManagedDraining ?? "ENABLED",
                },
                Tags = tags,
            };
            Providers(account, region).Add(name);
            _createdProviders[(account, region, name)] = provider;
            return new CreateCapacityProviderResponse { CapacityProvider = provider };
        }
    }

    public ServiceResponse CreateService(string account, string region, CreateServiceRequest request)
    {
        var name = request.ServiceName ?? throw AwsEmulatorError.InvalidParameter("serviceName is required.");
        if (!ClusterNamePattern().IsMatch(name))
        {
            throw AwsEmulatorError.InvalidParameter("Service name can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.");
        }

        var taskDefinition = request.TaskDefinition ?? throw AwsEmulatorError.InvalidParameter("taskDefinition is required.");
        var desired = request.DesiredCount ?? 0;
        if (desired < 0)
        {
            throw AwsEmulatorError.InvalidParameter("desiredCount must be at least 0.");
        }

        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            if (FindService(cluster, name) is { Status: "ACTIVE" or "DRAINING" })
            {
                throw AwsEmulatorError.InvalidParameter("Creation of service was not idempotent.");
            }

            cluster.Services.RemoveAll(s => s.Name == name);
            var service = new EmulatedService(name, $"arn:aws:ecs:{region}:{account}:service/{cluster.Name}/{name}")
            {
                DesiredCount = desired,
                TaskDefinition = TaskDefinitionArn(account, region, taskDefinition),
                LaunchType = request.LaunchType ?? "FARGATE",
                CreatedAt = Now,
            };
            cluster.Services.Add(service);
            for (var i = 0; i < desired; i++)
            {
                StartTask(account, region, cluster, service.TaskDefinition, service.LaunchType, service.Group, "ecs-svc/" + Math.Abs(name.GetHashCode(StringComparison.Ordinal)));
            }

            return new ServiceResponse { Service = Render(cluster, service) };
        }
    }

    public ServiceResponse DeleteService(string account, string region, DeleteServiceRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var service = FindService(cluster, request.Service ?? "") ?? throw new AwsEmulatorError("ServiceNotFoundException", "Service not found.");
            if (service.Status != "ACTIVE")
            {
                throw new AwsEmulatorError("ServiceNotActiveException", "Service was not ACTIVE.");
            }

            if (service.DesiredCount > 0 && request.Force != true)
            {
                throw AwsEmulatorError.InvalidParameter("The service cannot be stopped while it is scaled above 0.");
            }

            service.DesiredCount = 0;
            foreach (var task in cluster.Tasks.Where(t => t.Group == service.Group && t.LastStatus != "STOPPED"))
            {
                Stop(task, "Scaling activity initiated by (deployment ecs-svc)");
            }

            var answer = Render(cluster, service) with { Status = "DRAINING" };
            service.Status = "INACTIVE";
            return new ServiceResponse { Service = answer };
        }
    }

    public RunTaskResponse RunTask(string account, string region, RunTaskRequest request)
    {
        var taskDefinition = request.TaskDefinition ?? throw AwsEmulatorError.InvalidParameter("taskDefinition is required.");
        var count = request.Count ?? 1;
        if (count is < 1 or > 10)
        {
            throw AwsEmulatorError.InvalidParameter("count must be between 1 and 10.");
        }

        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var family = taskDefinition.Split('/').Last().Split(':')[0];
            var tasks = Enumerable.Range(0, count)
                .Select(_ => StartTask(account, region, cluster, TaskDefinitionArn(account, region, taskDefinition), request.LaunchType ?? "FARGATE", request.Group ?? "family:" + family, request.StartedBy))
                .Select(t => Render(cluster, t))
                .ToList();
            return new RunTaskResponse { Tasks = tasks, Failures = [] };
        }
    }

    public StopTaskResponse StopTask(string account, string region, StopTaskRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var id = (request.Task ?? throw AwsEmulatorError.InvalidParameter("task is required.")).Split('/').Last();
            var task = cluster.Tasks.FirstOrDefault(t => t.Id == id) ?? throw AwsEmulatorError.InvalidParameter("The referenced task was not found.");
            if (task.LastStatus != "STOPPED")
            {
                Stop(task, string.IsNullOrEmpty(request.Reason) ? "Task stopped by user" : request.Reason);
                if (cluster.Services.FirstOrDefault(s => s.Group == task.Group && s.Status == "ACTIVE") is { } service &&
                    cluster.Tasks.Count(t => t.Group == service.Group && t.LastStatus != "STOPPED") < service.DesiredCount)
                {
                    // The service scheduler keeps the desired count: delete (or scale down) the service first.
                    StartTask(account, region, cluster, service.TaskDefinition, service.LaunchType, service.Group, task.StartedBy);
                }
            }

            return new StopTaskResponse { Task = Render(cluster, task) };
        }
    }

    public ContainerInstanceResponse RegisterContainerInstance(string account, string region, RegisterContainerInstanceRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var ec2Id = Ec2InstanceId(request.InstanceIdentityDocument) ?? $"i-{Guid.NewGuid():N}"[..19];
            var instance = new EmulatedInstance($"arn:aws:ecs:{region}:{account}:container-instance/{cluster.Name}/{Guid.NewGuid():N}", ec2Id) { RegisteredAt = Now };
            cluster.Instances.Add(instance);
            return new ContainerInstanceResponse { ContainerInstance = Render(instance) };
        }
    }

    public ContainerInstanceResponse DeregisterContainerInstance(string account, string region, DeregisterContainerInstanceRequest request)
    {
        lock (_lock)
        {
            var cluster = Live(account, region, request.Cluster);
            var id = (request.ContainerInstance ?? throw AwsEmulatorError.InvalidParameter("containerInstance is required.")).Split('/').Last();
            var instance = cluster.Instances.FirstOrDefault(i => i.Id == id && i.Status != "INACTIVE")
                ?? throw AwsEmulatorError.InvalidParameter("The referenced container instance was not found.");
            instance.Status = "INACTIVE";
            return new ContainerInstanceResponse { ContainerInstance = Render(instance) };
        }
    }

    private EmulatedTask StartTask(string account, string region, EmulatedCluster cluster, string taskDefinitionArn, string launchType, string? group, string? startedBy)
    {
        var task = new EmulatedTask($"arn:aws:ecs:{region}:{account}:task/{cluster.Name}/{Guid.NewGuid():N}")
        {
            TaskDefinitionArn = taskDefinitionArn,
            LaunchType = launchType,
            Group = group,
            StartedBy = startedBy,
            CreatedAt = Now,
        };
        cluster.Tasks.Add(task);
        return task;
    }

    private static void Stop(EmulatedTask task, string reason)
    {
        task.DesiredStatus = "STOPPED";
        task.LastStatus = "STOPPED";
        task.StoppedReason = reason;
    }

    private static EmulatedService? FindService(EmulatedCluster cluster, string reference)
    {
        var name = reference.Split('/').Last();
        return cluster.Services.LastOrDefault(s => s.Name == name);
    }

    private static string TaskDefinitionArn(string account, string region, string reference) =>
        reference.StartsWith("arn:", StringComparison.Ordinal) ? reference
        : reference.Contains(':', StringComparison.Ordinal) ? $"arn:aws:ecs:{region}:{account}:task-definition/{reference}"
        : $"arn:aws:ecs:{region}:{account}:task-definition/{reference}:1";

    private static string? Ec2InstanceId(string? identityDocument)
    {
        try
        {
            return identityDocument is null ? null : System.Text.Json.Nodes.JsonNode.Parse(identityDocument)?["instanceId"]?.GetValue<string>();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static double Epoch(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;

    private static EcsService Render(EmulatedCluster cluster, EmulatedService s) => new()
    {
        ServiceArn = s.Arn,
        ServiceName = s.Name,
        ClusterArn = cluster.Arn,
        Status = s.Status,
        DesiredCount = s.DesiredCount,
        RunningCount = cluster.Tasks.Count(t => t.Group == s.Group && t.LastStatus == "RUNNING"),
        PendingCount = cluster.Tasks.Count(t => t.Group == s.Group && t.LastStatus == "PENDING"),
        LaunchType = s.LaunchType,
        TaskDefinition = s.TaskDefinition,
        CreatedAt = Epoch(s.CreatedAt),
    };

    private static EcsTask Render(EmulatedCluster cluster, EmulatedTask t) => new()
    {
        TaskArn = t.Arn,
        ClusterArn = cluster.Arn,
        TaskDefinitionArn = t.TaskDefinitionArn,
        LastStatus = t.LastStatus,
        DesiredStatus = t.DesiredStatus,
        LaunchType = t.LaunchType,
        Group = t.Group,
        StartedBy = t.StartedBy,
        StoppedReason = t.StoppedReason,
        CreatedAt = Epoch(t.CreatedAt),
        Attachments = t.LaunchType == "FARGATE" ? [NetworkInterface(t)] : [],
    };

    /// <summary>A Fargate task's ENI, as describe-tasks shows it (the guide reads <c>tasks[0].attachments[0].details</c>);
    /// the values are derived from the task's id, so they are stable.</summary>
    private static Attachment NetworkInterface(EmulatedTask t)
    {
        var h = t.Id.PadRight(16, '0');
        return new Attachment
        {
            Id = $"{h[..8]}-{h[8..12]}-4{h[13..16]}-8000-{h[..12]}",
            Type = "ElasticNetworkInterface",
            Status = t.LastStatus == "STOPPED" ? "DELETED" : "ATTACHED",
            Details =
            [
                new EcsKeyValuePair("subnetId", $"subnet-{h[..17].ToLowerInvariant()}"),
                new EcsKeyValuePair("networkInterfaceId", $"eni-{h[..17].ToLowerInvariant()}"),
                new EcsKeyValuePair("macAddress", string.Join(':', Enumerable.Range(0, 6).Select(i => h.Substring(i * 2, 2)))),
                new EcsKeyValuePair("privateIPv4Address", $"10.0.{Convert.ToInt32(h[..2], 16)}.{Convert.ToInt32(h[2..4], 16)}"),
            ],
        };
    }

    private static EcsContainerInstance Render(EmulatedInstance i) => new()
    {
        ContainerInstanceArn = i.Arn,
        Ec2InstanceId = i.Ec2InstanceId,
        Status = i.Status,
        AgentConnected = i.Status != "INACTIVE",
        RegisteredAt = Epoch(i.RegisteredAt),
    };

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

/// <summary>One change of a cluster's tags: the whole list before and after.</summary>
internal sealed record TagChange(string ClusterName, IReadOnlyList<Tag> Before, IReadOnlyList<Tag> After);
