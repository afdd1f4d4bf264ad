using Operator.Core.Api.V1Alpha1;
using Operator.Core.Providers;

namespace Operator.Core.Clusters;

/// <summary>
/// Whether an ECSCluster's current provider still points where its ECS cluster lives. The cluster's account and
/// region come from the ARN the object recorded when it created or adopted its cluster (the created-cluster
/// annotation, equal to <c>status.clusterARN</c>; a status ARN without it is not the operator's and is not trusted;
/// arn:partition:ecs:region:account:cluster/name), the provider's from its
/// validated account ID and <c>spec.region</c>. A provider of another account or region would not see the cluster and
/// would create a second one, so such a change of <c>spec.providerRef</c> (or of the provider itself) is refused:
/// <see cref="Refusal"/> returns the message to show, null when the provider may be used. Without an ARN (never
/// created, or an ARN that cannot be read) nothing is known to be elsewhere and any provider may be used.
/// </summary>
internal static class ProviderMove
{
    /// <summary>Account and region of an ECS cluster ARN; null when it is not one.</summary>
    public static (string Account, string Region)? Location(string? clusterArn)
    {
        var parts = clusterArn?.Split(':', 6);
        return parts is { Length: 6 } && parts[0] == "arn" && parts[2] == "ecs" && parts[3].Length > 0 && parts[4].Length > 0
            ? (parts[4], parts[3])
            : null;
    }

    /// <summary>Null when <paramref name="resolution"/> (a ready one) reaches the cluster's account and region.</summary>
    public static string? Refusal(ECSCluster obj, ProviderResolution resolution)
    {
        if (Location(Ownership.RecordedArn(obj)) is not var (account, region) || resolution.Provider is not { } provider)
        {
            return null;
        }
        if (account == resolution.AccountId && region == provider.Spec.Region)
        {
            return null;
        }
        return $"ECS cluster {obj.Spec.ClusterName} is in account {account}, region {region} (status.clusterARN), but AWSProvider "
            + $"{ProviderResolver.ProviderKey(obj)} is for account {resolution.AccountId}, region {provider.Spec.Region}; a cluster cannot move "
            + $"between accounts or regions, so nothing was created there and the cluster was not touched. Set spec.providerRef back to a "
            + $"provider of account {account}, region {region}; or, to start over there, set spec.deletionPolicy: Retain, delete this "
            + "object (the old cluster stays as it is) and create a new one";
    }
}
