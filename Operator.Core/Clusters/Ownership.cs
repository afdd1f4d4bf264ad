using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs;

namespace Operator.Core.Clusters;

/// <summary>
/// The ownership tag is how the operator knows which ECS clusters are its own: it is set on every cluster the operator
/// creates or adopts, holds the ECSCluster's "namespace/name", and is the only licence to change or delete a cluster.
/// A cluster without it is adopted only on <c>spec.adoptExisting: true</c>; a cluster whose tag names another object is
/// never touched.
/// </summary>
internal static class Ownership
{
    public const string TagKey = "aws-infra-operator.runner.codes/owner";

    public static string Owner(ECSCluster obj) => $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

    public static string? OwnerOf(Ecs.Model.Cluster cluster) =>
        cluster.Tags?.FirstOrDefault(t => t.Key == TagKey)?.Value;

    public static OwnershipState Check(ECSCluster obj, Ecs.Model.Cluster cluster) => OwnerOf(cluster) switch
    {
        null => OwnershipState.Unowned,
        var owner when owner == Owner(obj) => OwnershipState.Ours,
        _ => OwnershipState.OtherOwner,
    };
}

internal enum OwnershipState
{
    Ours,
    Unowned,
    OtherOwner,
}
