using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>An AWS ECS cluster declared as a Kubernetes object.</summary>
[KubernetesEntity(Group = ApiGroup.Group, ApiVersion = ApiGroup.Version, Kind = KindName, PluralName = PluralName)]
public sealed class ECSCluster : IKubernetesObject<V1ObjectMeta>, ISpec<ECSClusterSpec>, IStatus<ECSClusterStatus?>
{
    public const string KindName = "ECSCluster";
    public const string PluralName = "ecsclusters";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = ApiGroup.ApiVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = KindName;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public ECSClusterSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public ECSClusterStatus? Status { get; set; }
}
