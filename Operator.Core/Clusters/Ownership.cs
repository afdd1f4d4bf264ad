using System.Security.Cryptography;
using System.Text;
using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs;

namespace Operator.Core.Clusters;

/// <summary>
/// The ownership tag is how the operator knows which ECS clusters are its own: it is set on every cluster the operator
/// creates or adopts, names the ECSCluster, and is the only licence to change or delete a cluster.
/// A cluster without it is adopted only on <c>spec.adoptExisting: true</c>; a cluster whose tag names another object is
/// never touched.
/// The value is "namespace/name" when that fits ECS's 256-character tag value limit. A longer one (a namespace of up to
/// 63 and a name of up to 253 characters make 317) is cut to 239 characters and followed by "_" and 16 hex digits of
/// the SHA-256 of the full "namespace/name": it depends only on the object's name, so an object deleted and created
/// again under the same name (a restore, a GitOps re-sync) still owns its cluster, and it can never equal the value of
/// a short name, because no Kubernetes name contains "_".
/// </summary>
internal static class Ownership
{
    public const string TagKey = "aws-infra-operator.runner.codes/owner";

    /// <summary>ECS's limit on a tag value.</summary>
    public const int MaxValueLength = 256;

    private const int HashHexDigits = 16;

    public static string Owner(ECSCluster obj) => OwnerValue(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public static string OwnerValue(string? ns, string? name)
    {
        var full = $"{ns}/{name}";
        if (full.Length <= MaxValueLength)
        {
            return full;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..HashHexDigits];
        return $"{full[..(MaxValueLength - HashHexDigits - 1)]}_{hash}";
    }

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
