namespace Operator.Core.Aws.Ecs.Model;

/// <summary>A cluster setting (<c>{"name": "containerInsights", "value": "enabled"}</c>).</summary>
public sealed record ClusterSetting(string Name, string Value);
