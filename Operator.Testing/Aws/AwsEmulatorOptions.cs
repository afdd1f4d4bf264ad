using Operator.Core.Aws.Resilience;

namespace Operator.Testing.Aws;

/// <summary>
/// Behaviour knobs of <see cref="AwsEmulator"/>. All durations run on <see cref="TimeProvider"/>, so tests can use
/// a FakeTimeProvider (sign requests with the same clock, or set <see cref="MaxClockSkew"/> to null).
/// </summary>
internal sealed record AwsEmulatorOptions
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>TCP port on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Reject requests whose SigV4 signature does not verify (on by default, like AWS).</summary>
    public bool VerifySignatures { get; init; } = true;

    /// <summary>Largest accepted difference between X-Amz-Date and the emulator's clock; null disables the check.</summary>
    public TimeSpan? MaxClockSkew { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a new cluster stays PROVISIONING before it is ACTIVE (zero: ACTIVE at once).</summary>
    public TimeSpan ProvisioningDuration { get; init; } = TimeSpan.Zero;

    /// <summary>How long a capacity-provider association stays UPDATE_IN_PROGRESS (zero: complete at once).</summary>
    public TimeSpan AttachmentUpdateDuration { get; init; } = TimeSpan.Zero;

    /// <summary>How long a deleted cluster is still described as INACTIVE before it is MISSING.</summary>
    public TimeSpan InactiveRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Per-account request throttling over all ECS operations (null: unlimited).</summary>
    public TokenBucketOptions? AccountThrottle { get; init; }

    /// <summary>Keep every request's full text (line, headers, body) in <see cref="AwsEmulator.RecordedRequests"/> (off: memory).</summary>
    public bool RecordRequests { get; init; }

    /// <summary>Lifetime of credentials issued by AssumeRole / AssumeRoleWithWebIdentity.</summary>
    public TimeSpan IssuedCredentialsLifetime { get; init; } = TimeSpan.FromHours(1);
}
