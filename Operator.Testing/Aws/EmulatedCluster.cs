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
    public int ActiveServices { get; set; }
    public int RunningTasks { get; set; }
    public int PendingTasks { get; set; }
    public int RegisteredContainerInstances { get; set; }
}
