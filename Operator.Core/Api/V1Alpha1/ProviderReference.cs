using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>
/// The AWSProvider an ECSCluster uses. <see cref="Namespace"/> defaults to the ECSCluster's own; a provider in another
/// namespace is used only if its <c>allowedNamespaces</c> admits the ECSCluster's namespace.
/// </summary>
public sealed record ProviderReference
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
}
