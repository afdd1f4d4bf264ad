namespace Operator.Core.Aws.Ecs.Model;

/// <summary>One item of a capacity provider strategy. ECS limits: weight 0–1000, base 0–100000, at most one base &gt; 0.</summary>
public sealed record CapacityProviderStrategyItem(string CapacityProvider, int? Weight = null, int? Base = null);
