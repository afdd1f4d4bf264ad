using Operator.Core.Aws.Ecs.Model;

namespace Operator.Testing.Aws;

/// <summary>The emulator's mutable state of one cluster; guarded by the backend's lock.</summary>
internal sealed class EmulatedCluster(string name, string arn)
{
    public string Name { get; } = name;
    public string Arn { get; } = arn;
    public int Generation { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public List<Tag> Tags { get; set; } = [];
    public List<ClusterSetting> Settings { get; set; } = [];
    public ClusterConfiguration? Configuration { get; set; }
    public ClusterServiceConnectDefaults? ServiceConnectDefaults { get; set; }
    public List<string> CapacityProviders { get; set; } = [];
    public List<CapacityProviderStrategyItem> Strategy { get; set; } = [];
    public List<string> AttachedProviders { get; set; } = [];
    public DateTimeOffset? AttachmentsUpdateUntil { get; set; }
    public bool HasAttachmentUpdate { get; set; }
    public List<EmulatedService> Services { get; } = [];
    public List<EmulatedTask> Tasks { get; } = [];
    public List<EmulatedInstance> Instances { get; } = [];

    /// <summary>ACTIVE services; DeleteService drains a service at once, so DRAINING is never seen.</summary>
    public int ActiveServices => Services.Count(s => s.Status == "ACTIVE");
    public int RunningTasks => Tasks.Count(t => t.LastStatus == "RUNNING");
    public int PendingTasks => Tasks.Count(t => t.LastStatus == "PENDING");
    public int RegisteredContainerInstances => Instances.Count(i => i.Status is "ACTIVE" or "DRAINING");
}

/// <summary>A service: its tasks are the cluster's tasks whose group is <c>service:&lt;name&gt;</c>.</summary>
internal sealed class EmulatedService(string name, string arn)
{
    public string Name { get; } = name;
    public string Arn { get; } = arn;
    public string Status { get; set; } = "ACTIVE";
    public int DesiredCount { get; set; }
    public string TaskDefinition { get; init; } = "";
    public string LaunchType { get; init; } = "FARGATE";
    public DateTimeOffset CreatedAt { get; init; }
    public string Group => "service:" + Name;
}

internal sealed class EmulatedTask(string arn)
{
    public string Arn { get; } = arn;
    public string Id => Arn.Split('/').Last();
    public string LastStatus { get; set; } = "RUNNING";
    public string DesiredStatus { get; set; } = "RUNNING";
    public string TaskDefinitionArn { get; init; } = "";
    public string LaunchType { get; init; } = "FARGATE";
    public string? Group { get; init; }
    public string? StartedBy { get; init; }
    public string? StoppedReason { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class EmulatedInstance(string arn, string ec2InstanceId)
{
    public string Arn { get; } = arn;
    public string Id => Arn.Split('/').Last();
    public string Ec2InstanceId { get; } = ec2InstanceId;
    public string Status { get; set; } = "ACTIVE";
    public DateTimeOffset RegisteredAt { get; init; }
}
