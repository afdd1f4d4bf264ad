using System.Text.Json.Serialization;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>Where ECS Exec session logs go when logging is OVERRIDE.</summary>
public sealed record ExecuteCommandLogConfiguration
{
    [JsonPropertyName("cloudWatchLogGroupName")] public string? CloudWatchLogGroupName { get; set; }
    [JsonPropertyName("cloudWatchEncryptionEnabled")] public bool? CloudWatchEncryptionEnabled { get; set; }
    [JsonPropertyName("s3BucketName")] public string? S3BucketName { get; set; }
    [JsonPropertyName("s3EncryptionEnabled")] public bool? S3EncryptionEnabled { get; set; }
    [JsonPropertyName("s3KeyPrefix")] public string? S3KeyPrefix { get; set; }
}
