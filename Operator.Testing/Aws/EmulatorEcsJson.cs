using System.Text.Json.Serialization.Metadata;
using Operator.Core.Aws.Ecs;

namespace Operator.Testing.Aws;

/// <summary>
/// The ECS wire format as the emulator reads and writes it: the operator's own source-generated context
/// (<see cref="EcsJsonContext"/>, the very metadata the operator's client uses) for every type the operator sends or
/// receives, and reflection for the emulator's extra operations (services, tasks, container instances), which the
/// operator never calls. The emulator runs on the JIT only, so reflection is available here.
/// </summary>
internal static class EmulatorEcsJson
{
    public static readonly JsonSerializerOptions Options = new(EcsJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(EcsJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}
