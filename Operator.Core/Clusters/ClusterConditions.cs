namespace Operator.Core.Clusters;

/// <summary>The condition types and reasons of an ECSCluster, as documented in the README.</summary>
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
        public const string ProviderNotFound = "ProviderNotFound";
        public const string ProviderNotAllowed = "ProviderNotAllowed";
        public const string ProviderNotReady = "ProviderNotReady";
        public const string AdoptionRequired = "AdoptionRequired";
        public const string OwnedByAnotherObject = "OwnedByAnotherObject";
        public const string AccessDenied = "AccessDenied";
        public const string InvalidParameter = "InvalidParameter";
        public const string AwsError = "AwsError";
        public const string ClusterContainsServices = "ClusterContainsServices";
        public const string ClusterContainsTasks = "ClusterContainsTasks";
        public const string ClusterContainsContainerInstances = "ClusterContainsContainerInstances";
        public const string Deleting = "Deleting";
    }
}
