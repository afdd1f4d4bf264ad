using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// An object of kind <typeparamref name="TKind"/> as the API server serves it to a client that asks for its metadata
/// only (Accept <c>application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1</c>, and <c>…as=PartialObjectMetadataList…</c>
/// for a list): <c>apiVersion: meta.k8s.io/v1</c>, <c>kind: PartialObjectMetadata</c> and the object's metadata, as
/// client-go's metadata informer and controller-runtime's <c>OnlyMetadata</c> cache it. An informer of this type lists
/// and watches <typeparamref name="TKind"/>'s resource asking for exactly that (<see cref="ResourceType.MetadataOnly"/>),
/// so no other field of the objects, such as a Secret's data, ever crosses the wire to the operator.
/// </summary>
internal sealed class PartialObjectMetadata<TKind> : IKubernetesObject<V1ObjectMeta>
    where TKind : IKubernetesObject
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "meta.k8s.io/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "PartialObjectMetadata";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}
