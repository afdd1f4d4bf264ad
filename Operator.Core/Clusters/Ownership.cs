using System.Security.Cryptography;
using System.Text;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Kubernetes;
using Ecs = Operator.Core.Aws.Ecs;

namespace Operator.Core.Clusters;

/// <summary>
/// The one ownership gate: a cluster is this object's own only if it carries this object's ownership tag, or it carries
/// no ownership tag and its ARN is the one this object recorded in <see cref="CreatedArnAnnotation"/> when it created
/// or adopted it (the tag was then removed out of band, and is restored as drift). Only an owned cluster is ever
/// changed or deleted. A cluster without the tag is adopted only on <c>spec.adoptExisting: true</c>; a cluster whose
/// tag names another object is never touched, unless that object provably no longer exists and the caller opted in
/// to adoption (<see cref="OwnershipState.OtherOwner"/> is resolved by the reconciler with a GET against the API).
/// The tag's value is "namespace/name" when that fits ECS's 256-character tag value limit. A longer one (a namespace of up to
/// 63 and a name of up to 253 characters make 317) is cut to 239 characters and followed by "_" and 16 hex digits of
/// the SHA-256 of the full "namespace/name": it depends only on the object's name, so an object deleted and created
/// again under the same name (a restore, a GitOps re-sync) still owns its cluster, and it can never equal the value of
/// a short name, because no Kubernetes name contains "_".
/// </summary>
internal static class Ownership
{
    public const string TagKey = "aws-infra-operator.runner.codes/owner";

    /// <summary>The ARN of the ECS cluster this object created or adopted; written right after that succeeded.</summary>
    public const string CreatedArnAnnotation = "aws-infra-operator.runner.codes/created-cluster-arn";

    /// <summary>ECS's limit on a tag value.</summary>
    public const int MaxValueLength = 256;

    private const int HashHexDigits = 16;

    public static string Owner(ECSCluster obj) => OwnerValue(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public static string OwnerValue(string? ns, string name)
    {
        var full = ObjectKey.Of(ns, name);
        if (full.Length <= MaxValueLength)
        {
            return full;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..HashHexDigits];
        return $"{full[..(MaxValueLength - HashHexDigits - 1)]}_{hash}";
    }

    public static string? OwnerOf(Ecs.Model.Cluster cluster) =>
        cluster.Tags?.FirstOrDefault(t => t.Key == TagKey)?.Value;

    public static string? RecordedArn(ECSCluster obj) =>
        obj.Metadata.Annotations?.TryGetValue(CreatedArnAnnotation, out var arn) == true && !string.IsNullOrEmpty(arn) ? arn : null;

    /// <summary>
    /// True when this object reached ECS: it created or adopted a cluster, and recorded its ARN in
    /// <see cref="CreatedArnAnnotation"/> right after (before any status write naming it). Only then is what its status
    /// says about an ECS cluster the operator's; without it, the status is someone's hand-made or restored text, and the
    /// reconciler clears it rather than trusting it (a pass that reaches ECS writes the real one).
    /// </summary>
    public static bool ReachedEcs(ECSCluster obj) => RecordedArn(obj) is not null;

    /// <summary>True when the object may have a cluster in ECS: it recorded one, or its status shows one.</summary>
    public static bool MayExistInEcs(ECSCluster obj) => RecordedArn(obj) is not null || !string.IsNullOrEmpty(obj.Status?.ClusterARN);

    public static OwnershipState Check(ECSCluster obj, Ecs.Model.Cluster cluster) => OwnerOf(cluster) switch
    {
        null when cluster.ClusterArn is { } arn && arn == RecordedArn(obj) => OwnershipState.Ours,
        null => OwnershipState.Unowned,
        var owner when owner == Owner(obj) => OwnershipState.Ours,
        _ => OwnershipState.OtherOwner,
    };

    /// <summary>The namespace and name an ownership tag value names, or null when it names no object this way.</summary>
    public static (string Namespace, string Name)? ParseOwner(string? value)
    {
        var slash = value?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        return slash <= 0 || slash == value!.Length - 1 ? null : (value[..slash], value[(slash + 1)..]);
    }
}

internal enum OwnershipState
{
    Ours,
    Unowned,
    OtherOwner,
}
