namespace Operator.Core.Providers;

/// <summary>
/// The condition types and reasons of an AWSProvider that this folder sets, as documented in the README. The
/// credentials failure reasons are <see cref="Aws.Credentials.ProviderCredentialsReasons"/>, the generic failure
/// reasons <see cref="Status.ReconcileFailure"/>'s constants.
/// </summary>
internal static class ProviderConditions
{
    public const string Ready = "Ready";
    public const string DeletionBlocked = "DeletionBlocked";

    public static class Reasons
    {
        /// <summary>Ready=True: STS confirmed the identity (also the Normal event on becoming ready).</summary>
        public const string Authenticated = "Authenticated";

        /// <summary>DeletionBlocked=True: the provider is being deleted and ECSClusters still use it.</summary>
        public const string InUse = "InUse";
    }

    /// <summary><c>status.phase</c>, kubectl's STATUS column.</summary>
    public static class Phases
    {
        public const string Active = "ACTIVE";

        /// <summary>Being deleted, and ECSClusters still use it (the DeletionBlocked condition names them).</summary>
        public const string DeletionBlocked = "DELETION_BLOCKED";

        /// <summary>Being deleted, nothing holds it: it goes at once.</summary>
        public const string Deleting = "DELETING";
    }
}
