namespace Operator.Core.Aws.Ecs.Model;

/// <summary>An ECS resource tag (<c>{"key": ..., "value": ...}</c>). Keys starting with <c>aws:</c> are reserved.</summary>
public sealed record Tag(string Key, string? Value);
