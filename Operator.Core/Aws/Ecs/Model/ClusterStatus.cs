namespace Operator.Core.Aws.Ecs.Model;

/// <summary>Values of <see cref="Cluster.Status"/> and <see cref="Cluster.AttachmentsStatus"/>.</summary>
public static class ClusterStatus
{
    public const string Active = "ACTIVE";
    public const string Provisioning = "PROVISIONING";
    public const string Deprovisioning = "DEPROVISIONING";
    public const string Failed = "FAILED";
    public const string Inactive = "INACTIVE";

    public const string UpdateInProgress = "UPDATE_IN_PROGRESS";
    public const string UpdateComplete = "UPDATE_COMPLETE";
    public const string UpdateFailed = "UPDATE_FAILED";
}
