namespace Operator.Core.Aws.Ecs;

/// <summary>
/// Where and as whom an <see cref="EcsClient"/> talks. <see cref="Endpoint"/> overrides
/// <c>https://ecs.{region}.amazonaws.com</c> (moto, the in-repo emulator, LocalStack); the signature still uses
/// <see cref="Region"/> and service <c>ecs</c>.
/// </summary>
public sealed record EcsClientOptions
{
    public required string Region { get; init; }
    public Uri? Endpoint { get; init; }

    /// <summary>The URL requests are posted to.</summary>
    public Uri ResolveEndpoint() => Endpoint ?? new Uri($"https://ecs.{Region}.amazonaws.com/");
}
