namespace Operator.Core.Aws.Ecs.Model;

/// <summary>Where ECS Exec session logs go when <c>logging</c> is <c>OVERRIDE</c>.</summary>
public sealed record ExecuteCommandLogConfiguration
{
    public string? CloudWatchLogGroupName { get; init; }
    public bool? CloudWatchEncryptionEnabled { get; init; }
    public string? S3BucketName { get; init; }
    public bool? S3EncryptionEnabled { get; init; }
    public string? S3KeyPrefix { get; init; }
}
