using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// JSON settings of the ECS wire format: camelCase members, nulls omitted, unknown members ignored. Source-generated
/// (<see cref="EcsJsonContext"/>), so no reflection is needed: the operator runs as a Native AOT binary, where
/// reflection-based serialization is unavailable. A type missing from the context fails with NotSupportedException.
/// </summary>
internal static class EcsJson
{
    public static readonly JsonSerializerOptions Options = EcsJsonContext.Default.Options;

    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}

/// <summary>Every request and response of <see cref="EcsClient"/>; the ECS emulator reads and writes the same set.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateClusterRequest))]
[JsonSerializable(typeof(CreateClusterResponse))]
[JsonSerializable(typeof(DeleteClusterRequest))]
[JsonSerializable(typeof(DeleteClusterResponse))]
[JsonSerializable(typeof(DescribeCapacityProvidersRequest))]
[JsonSerializable(typeof(DescribeCapacityProvidersResponse))]
[JsonSerializable(typeof(DescribeClustersRequest))]
[JsonSerializable(typeof(DescribeClustersResponse))]
[JsonSerializable(typeof(ListContainerInstancesRequest))]
[JsonSerializable(typeof(ListContainerInstancesResponse))]
[JsonSerializable(typeof(ListServicesRequest))]
[JsonSerializable(typeof(ListServicesResponse))]
[JsonSerializable(typeof(ListTagsForResourceRequest))]
[JsonSerializable(typeof(ListTagsForResourceResponse))]
[JsonSerializable(typeof(ListTasksRequest))]
[JsonSerializable(typeof(ListTasksResponse))]
[JsonSerializable(typeof(PutClusterCapacityProvidersRequest))]
[JsonSerializable(typeof(PutClusterCapacityProvidersResponse))]
[JsonSerializable(typeof(TagResourceRequest))]
[JsonSerializable(typeof(TagResourceResponse))]
[JsonSerializable(typeof(UntagResourceRequest))]
[JsonSerializable(typeof(UntagResourceResponse))]
[JsonSerializable(typeof(UpdateClusterRequest))]
[JsonSerializable(typeof(UpdateClusterResponse))]
[JsonSerializable(typeof(UpdateClusterSettingsRequest))]
[JsonSerializable(typeof(UpdateClusterSettingsResponse))]
internal sealed partial class EcsJsonContext : JsonSerializerContext;
