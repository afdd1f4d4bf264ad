using System.Text.Json.Serialization;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>One page of a LIST answer: the items and the list metadata (resourceVersion, continue).</summary>
internal sealed record ListPage<T>
{
    [JsonPropertyName("metadata")] public V1ListMeta? Metadata { get; init; }
    [JsonPropertyName("items")] public List<T>? Items { get; init; }
}
