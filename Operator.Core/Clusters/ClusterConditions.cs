using Operator.Core.Events;
using Operator.Core.Providers;
using Operator.Core.Status;

namespace Operator.Core.Clusters;

/// <summary>
/// The condition types, condition reasons and event reasons of an ECSCluster, as documented in the README (the generic
/// failure reasons are <see cref="Status.ReconcileFailure"/>'s constants).
/// </summary>
internal static class ClusterConditions
{
    public const string Ready = "Ready";
    public const string Synced = "Synced";
    public const string InvalidSpec = "InvalidSpec";
    public const string ProviderNotReady = "ProviderNotReady";
    public const string DeletionBlocked = "DeletionBlocked";

    public static class Reasons
    {
        public const string Active = "Active";
        public const string Provisioning = "Provisioning";
        public const string Deprovisioning = "Deprovisioning";
        public const string Failed = "Failed";
        public const string Inactive = "Inactive";
        public const string Synced = "Synced";
        public const string Creating = "Creating";
        public const string UpdateInProgress = "UpdateInProgress";
        public const string InvalidSpec = "InvalidSpec";
        public const string ProviderNotFound = ProviderResolver.Reasons.ProviderNotFound;
        public const string ProviderNotAllowed = ProviderResolver.Reasons.ProviderNotAllowed;
        public const string ProviderNotReady = ProviderResolver.Reasons.ProviderNotReady;

        /// <summary>The new provider is of another account or region than the ECS cluster (<see cref="ProviderMove"/>).</summary>
        public const string ProviderChangeRefused = "ProviderChangeRefused";
        public const string AdoptionRequired = "AdoptionRequired";
        public const string OwnedByAnotherObject = "OwnedByAnotherObject";
        public const string AccessDenied = "AccessDenied";
        public const string InvalidParameter = "InvalidParameter";
        public const string AwsError = ReconcileFailure.AwsError;
        public const string ClusterContainsServices = "ClusterContainsServices";
        public const string ClusterContainsTasks = "ClusterContainsTasks";
        public const string ClusterContainsContainerInstances = "ClusterContainsContainerInstances";
        public const string Deleting = "Deleting";
    }

    /// <summary>Reasons of the Events recorded for an ECSCluster besides its condition reasons (the lifecycle ones are <see cref="LifecycleReasons"/>).</summary>
    public static class EventReasons
    {
        public const string Created = LifecycleReasons.Created;
        public const string Updated = LifecycleReasons.Updated;
        public const string Adopted = LifecycleReasons.Adopted;
        public const string Deleted = LifecycleReasons.Deleted;
        public const string Retained = LifecycleReasons.Retained;
        public const string Released = LifecycleReasons.Released;
        public const string NotDeleted = "NotDeleted";
        public const string DeletionBlocked = "DeletionBlocked";

        /// <summary>Normal, once: the provider's defaultTags and the spec's tags name keys that differ only in case.</summary>
        public const string TagKeysDifferInCase = "TagKeysDifferInCase";
    }
}
