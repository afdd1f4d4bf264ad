using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>The default Service Connect namespace (a Cloud Map namespace name or ARN) for services in the cluster.</summary>
public sealed record ServiceConnectDefaults
{
    [JsonPropertyName("namespace")] public string Namespace { get; set; } = "";
}
