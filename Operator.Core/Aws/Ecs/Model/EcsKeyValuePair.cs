namespace Operator.Core.Aws.Ecs.Model;

/// <summary>
/// ECS's <c>KeyValuePair</c> shape (<c>{"name", "value"}</c>), used by cluster statistics and attachment details.
/// Renamed so it does not clash with <see cref="System.Collections.Generic.KeyValuePair{TKey,TValue}"/>.
/// </summary>
public sealed record EcsKeyValuePair(string Name, string? Value);
