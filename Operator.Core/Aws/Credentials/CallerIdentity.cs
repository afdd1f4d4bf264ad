namespace Operator.Core.Aws.Credentials;

/// <summary>The answer of STS GetCallerIdentity.</summary>
internal sealed record CallerIdentity(string Account, string Arn, string UserId);
