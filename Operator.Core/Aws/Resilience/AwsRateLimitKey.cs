namespace Operator.Core.Aws.Resilience;

/// <summary>
/// What AWS throttles on: one account in one region, per service and per read/write class. All callers with the
/// same key share one bucket.
/// </summary>
public readonly record struct AwsRateLimitKey(string Service, string AccountId, string Region, AwsCallKind Kind);
