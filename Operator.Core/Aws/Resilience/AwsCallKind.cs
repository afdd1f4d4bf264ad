namespace Operator.Core.Aws.Resilience;

/// <summary>Which of the two per-account token buckets an operation draws from.</summary>
public enum AwsCallKind
{
    Read,
    Write,
}
