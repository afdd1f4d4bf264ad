using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>
/// AWS credentials and region for the ECSClusters that reference it. Namespaced; by default only ECSClusters in the
/// provider's own namespace may use it (see <see cref="AWSProviderSpec.AllowedNamespaces"/>).
/// </summary>
[KubernetesEntity(Group = ApiGroup.Group, ApiVersion = ApiGroup.Version, Kind = KindName, PluralName = PluralName)]
public sealed class AWSProvider : IKubernetesObject<V1ObjectMeta>, ISpec<AWSProviderSpec>, IStatus<AWSProviderStatus?>
{
    public const string KindName = "AWSProvider";
    public const string PluralName = "awsproviders";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = ApiGroup.ApiVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = KindName;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public AWSProviderSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public AWSProviderStatus? Status { get; set; }
}
