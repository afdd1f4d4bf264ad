using System.Text.Json.Serialization;

namespace Operator.Core.Aws.Ecs.Model;

/// <summary>Base of every response: carries the service's request id (never serialised).</summary>
public abstract record EcsResponse
{
    [JsonIgnore] public string? RequestId { get; internal set; }
}
