namespace Operator.Core.Api.V1Alpha1;

/// <summary>What happens to the ECS cluster when its ECSCluster object is deleted.</summary>
public static class DeletionPolicy
{
    /// <summary>Delete the ECS cluster (the default). Blocked while it still has services, tasks or instances.</summary>
    public const string Delete = "Delete";

    /// <summary>Keep the ECS cluster; only the Kubernetes object goes.</summary>
    public const string Retain = "Retain";
}
