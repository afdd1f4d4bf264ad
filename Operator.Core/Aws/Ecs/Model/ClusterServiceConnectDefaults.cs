namespace Operator.Core.Aws.Ecs.Model;

/// <summary>
/// Service Connect defaults, used both in requests (<c>namespace</c> is a Cloud Map name or ARN) and in responses
/// (AWS reports the namespace ARN).
/// </summary>
public sealed record ClusterServiceConnectDefaults(string? Namespace);
