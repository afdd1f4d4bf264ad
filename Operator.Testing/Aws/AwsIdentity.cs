namespace Operator.Testing.Aws;

/// <summary>A principal known to the emulator: its keys, the account it belongs to and its ARN.</summary>
internal sealed record AwsIdentity(string AccessKeyId, string SecretAccessKey, string AccountId, string Arn, string? SessionToken = null)
{
    public string UserId => SessionToken is null ? AccessKeyId : $"{AccessKeyId}:{Arn.Split('/').Last()}";
}
