using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>Advanced cluster configuration.</summary>
public sealed record ClusterConfiguration
{
    [JsonPropertyName("executeCommandConfiguration")] public ExecuteCommandConfiguration? ExecuteCommandConfiguration { get; set; }
}
