namespace Operator.Testing.Aws;

/// <summary>One request the emulator answered: which service/operation, as whom, and how it ended.</summary>
internal sealed record AwsEmulatorCall(
    DateTimeOffset At, string Service, string Operation, string? AccountId, string? AccessKeyId, int StatusCode, string? ErrorCode);
