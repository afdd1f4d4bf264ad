using System.Text.Json;
using System.Text.Json.Serialization;

namespace Operator.Core.Aws.Ecs;

/// <summary>JSON settings of the ECS wire format: camelCase members, nulls omitted, unknown members ignored.</summary>
internal static class EcsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
