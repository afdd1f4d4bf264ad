namespace Operator.Core.Aws.Ecs.Model;

/// <summary>A per-item failure of a batch call, e.g. <c>{"arn": ".../cluster/x", "reason": "MISSING"}</c>.</summary>
public sealed record Failure(string? Arn, string? Reason, string? Detail = null);
