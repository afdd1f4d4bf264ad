using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Providers;
using Operator.Core.Status;

namespace Operator.Core.Clusters;

/// <summary>
/// Deletion of an ECSCluster whose provider is not ready only because a Secret it reads was deleted (as
/// <c>kubectl delete -f dir/</c> does when the Secrets come before the clusters). <see cref="Resolve"/> turns such a
/// resolution into a usable one when the credentials layer still holds this provider object's last working
/// credentials, with their account; the caller must then get its session through
/// <see cref="IAwsCredentialsCache.GetForDeletionAsync"/>, which re-reads the Secrets and falls back only on NotFound.
/// Nothing else uses those credentials: creating, updating and drift correction still report <c>SecretNotFound</c>.
/// After an operator restart they are gone; <see cref="Hint"/> then says how deletion can go on.
/// </summary>
internal static class SecretlessDeletion
{
    /// <summary><paramref name="resolution"/> itself, or a ready one through the last working credentials.</summary>
    public static ProviderResolution Resolve(ProviderResolution resolution, IAwsCredentialsCache credentials) =>
        resolution is { IsReady: false, Reason: "ProviderNotReady", Provider: { } provider } && SecretMissing(provider)
            && credentials.LastWorkingAccount(provider) is { } account
            ? new ProviderResolution(provider, account, null, null)
            : resolution;

    /// <summary>What to add to a DeletionBlocked message when the provider's Secret is missing (empty otherwise).</summary>
    public static string Hint(ProviderResolution resolution) => resolution.Provider is { } provider && SecretMissing(provider)
        ? " Re-create the Secret to let the deletion finish (the operator deletes with a deleted Secret's last working credentials "
            + "only while it keeps them in memory, not after a restart)."
        : "";

    /// <summary>The provider's check of its current generation failed because a Secret it names does not exist.</summary>
    private static bool SecretMissing(AWSProvider provider) =>
        provider.Status is { } status && status.ObservedGeneration == provider.Metadata.Generation
        && Conditions.Find(status.Conditions, ProviderConditions.Ready) is { Status: Conditions.False, Reason: ProviderCredentialsReasons.SecretNotFound };
}
