using System.Text.Json.Serialization;
using Operator.Core.Kubernetes;

namespace Operator.Core.Api.V1Alpha1;

/// <summary>
/// The JSON of this API (source-generated: the shipped binary is Native AOT, which has no reflection-based JSON), the
/// domain's contribution to <see cref="KubeJson"/>: the custom resources, their statuses (status patches are computed
/// from their JSON) and the list pages their informers read. Declared with the engine's options
/// (<see cref="EngineJsonContext"/>). Composed with the engine's kinds once, where the process is composed
/// (<c>Operator/Hosting/EcsOperatorModule.Json</c>). A new kind of this API needs its type, its status and its
/// <see cref="ListPage{T}"/> here.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(KubeDateTimeConverter)])]
[JsonSerializable(typeof(ECSCluster))]
[JsonSerializable(typeof(ECSClusterStatus))]
[JsonSerializable(typeof(ListPage<ECSCluster>))]
[JsonSerializable(typeof(AWSProvider))]
[JsonSerializable(typeof(AWSProviderStatus))]
[JsonSerializable(typeof(ListPage<AWSProvider>))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
