using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Credentials;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Status;

namespace Operator.Core.Providers;

/// <summary>
/// Finds the AWSProvider an ECSCluster may use, from the informer cache (no API call): the referenced provider must
/// exist, admit the cluster's namespace, and have been validated by the AWSProvider controller for its current
/// generation (status.ready with an account ID). Anything else is a <see cref="ProviderResolution"/> with a reason; its
/// message repeats a not-ready provider's own message only to a cluster of the provider's namespace (a provider shared
/// with other namespaces shows them its reason only).
/// </summary>
internal sealed class ProviderResolver(ObjectStore<AWSProvider> providers)
{
    private const string NotValidatedYet = "not validated yet";

    /// <summary>Why a cluster has no usable provider (reasons of the ECSCluster's conditions).</summary>
    public static class Reasons
    {
        public const string ProviderNotFound = "ProviderNotFound";
        public const string ProviderNotAllowed = "ProviderNotAllowed";
        public const string ProviderNotReady = "ProviderNotReady";
    }

    public static string ProviderKey(ECSCluster obj) =>
        ObjectKey.Of(obj.Spec.ProviderRef.Namespace ?? obj.Metadata.NamespaceProperty, obj.Spec.ProviderRef.Name);

    public ProviderResolution Resolve(ECSCluster obj)
    {
        var key = ProviderKey(obj);
        var provider = providers.Get(key);
        if (provider is null)
        {
            return ProviderResolution.Fail(Reasons.ProviderNotFound, $"AWSProvider {key} not found");
        }
        if (!ProviderAccess.IsAllowed(provider, obj.Metadata.NamespaceProperty))
        {
            return ProviderResolution.Fail(Reasons.ProviderNotAllowed,
                $"AWSProvider {key} does not allow ECSClusters from namespace {obj.Metadata.NamespaceProperty} (see its spec.allowedNamespaces)");
        }
        var status = provider.Status;
        if (status is not { Ready: true, AccountID: { Length: > 0 } } || status.ObservedGeneration != provider.Metadata.Generation)
        {
            // A provider of another namespace shows its reason only: its message names its own Secrets, hosts and roles.
            var why = Conditions.Find(status?.Conditions, ProviderConditions.Ready) is { Status: Conditions.False } c
                ? provider.Metadata.NamespaceProperty == obj.Metadata.NamespaceProperty ? $"{c.Reason}: {c.Message}" : c.Reason
                : NotValidatedYet;
            return ProviderResolution.Fail(Reasons.ProviderNotReady, $"AWSProvider {key} is not ready ({why})", provider)
                with { AwaitingValidation = why == NotValidatedYet };
        }
        return new ProviderResolution(provider, status.AccountID, null, null);
    }
}

/// <summary>A usable provider with its account, or the reason there is none.</summary>
internal sealed record ProviderResolution(AWSProvider? Provider, string? AccountId, string? Reason, string? Message)
{
    public bool IsReady => Reason is null;

    /// <summary>
    /// The provider exists and is allowed but its controller has not yet checked its current generation: a wait that
    /// ends with the provider's status write, which wakes the clusters using it (not a fault to warn about).
    /// </summary>
    public bool AwaitingValidation { get; init; }

    public static ProviderResolution Fail(string reason, string message, AWSProvider? provider = null) =>
        new(provider, null, reason, message);
}
