using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>ECS Exec settings. <see cref="LogConfiguration"/> is used only when <see cref="Logging"/> is OVERRIDE.</summary>
public sealed record ExecuteCommandConfiguration
{
    [JsonPropertyName("kmsKeyId")] public string? KmsKeyId { get; set; }
    [JsonPropertyName("logging")] public string? Logging { get; set; }
    [JsonPropertyName("logConfiguration")] public ExecuteCommandLogConfiguration? LogConfiguration { get; set; }
}
