using Operator.Core.Aws.Ecs.Model;

namespace Operator.Testing.Aws;

// Wire shapes (ECS JSON 1.1, camelCase) of the calls the emulator serves for people and tests but the operator never
// makes: listing clusters, custom capacity providers, and the workload (services, tasks, container instances) that
// blocks DeleteCluster. Only the fields the AWS CLI prints for the user guide's troubleshooting are modelled;
// timestamps are epoch seconds, as the JSON 1.1 protocol sends them.

internal sealed record ListClustersRequest
{
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

internal sealed record ListClustersResponse : EcsResponse
{
    public IReadOnlyList<string>? ClusterArns { get; init; }
    public string? NextToken { get; init; }
}

internal sealed record AutoScalingGroupProvider
{
    public string? AutoScalingGroupArn { get; init; }
    public JsonObject? ManagedScaling { get; init; }
    public string? ManagedTerminationProtection { get; init; }
    public string? ManagedDraining { get; init; }
}

internal sealed record CreateCapacityProviderRequest
{
    public string? Name { get; init; }
    public AutoScalingGroupProvider? AutoScalingGroupProvider { get; init; }
    public IReadOnlyList<Tag>? Tags { get; init; }
}

/// <summary>A capacity provider as DescribeCapacityProviders and CreateCapacityProvider answer it.</summary>
internal sealed record EmulatedCapacityProvider
{
    public string? CapacityProviderArn { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Type { get; init; }
    public AutoScalingGroupProvider? AutoScalingGroupProvider { get; init; }
    public IReadOnlyList<Tag>? Tags { get; init; }
}

internal sealed record CreateCapacityProviderResponse : EcsResponse
{
    public EmulatedCapacityProvider? CapacityProvider { get; init; }
}

internal sealed record EmulatorDescribeCapacityProvidersResponse : EcsResponse
{
    public IReadOnlyList<EmulatedCapacityProvider>? CapacityProviders { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
    public string? NextToken { get; init; }
}

internal sealed record EcsService
{
    public string? ServiceArn { get; init; }
    public string? ServiceName { get; init; }
    public string? ClusterArn { get; init; }
    public string? Status { get; init; }
    public int DesiredCount { get; init; }
    public int RunningCount { get; init; }
    public int PendingCount { get; init; }
    public string? LaunchType { get; init; }
    public string? TaskDefinition { get; init; }
    public double CreatedAt { get; init; }
}

internal sealed record CreateServiceRequest
{
    public string? Cluster { get; init; }
    public string? ServiceName { get; init; }
    public string? TaskDefinition { get; init; }
    public int? DesiredCount { get; init; }
    public string? LaunchType { get; init; }
}

internal sealed record ServiceResponse : EcsResponse
{
    public EcsService? Service { get; init; }
}

internal sealed record DeleteServiceRequest
{
    public string? Cluster { get; init; }
    public string? Service { get; init; }
    public bool? Force { get; init; }
}

internal sealed record EcsTask
{
    public string? TaskArn { get; init; }
    public string? ClusterArn { get; init; }
    public string? TaskDefinitionArn { get; init; }
    public string? LastStatus { get; init; }
    public string? DesiredStatus { get; init; }
    public string? LaunchType { get; init; }
    public string? Group { get; init; }
    public string? StartedBy { get; init; }
    public string? StoppedReason { get; init; }
    public double CreatedAt { get; init; }
    public IReadOnlyList<Attachment>? Attachments { get; init; }
}

internal sealed record RunTaskRequest
{
    public string? Cluster { get; init; }
    public string? TaskDefinition { get; init; }
    public int? Count { get; init; }
    public string? LaunchType { get; init; }
    public string? StartedBy { get; init; }
    public string? Group { get; init; }
}

internal sealed record RunTaskResponse : EcsResponse
{
    public IReadOnlyList<EcsTask>? Tasks { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
}

internal sealed record StopTaskRequest
{
    public string? Cluster { get; init; }
    public string? Task { get; init; }
    public string? Reason { get; init; }
}

internal sealed record StopTaskResponse : EcsResponse
{
    public EcsTask? Task { get; init; }
}

internal sealed record EcsContainerInstance
{
    public string? ContainerInstanceArn { get; init; }
    public string? Ec2InstanceId { get; init; }
    public string? Status { get; init; }
    public bool AgentConnected { get; init; }
    public int RunningTasksCount { get; init; }
    public int PendingTasksCount { get; init; }
    public double RegisteredAt { get; init; }
}

internal sealed record RegisterContainerInstanceRequest
{
    public string? Cluster { get; init; }
    public string? InstanceIdentityDocument { get; init; }
    public string? InstanceIdentityDocumentSignature { get; init; }
}

internal sealed record DeregisterContainerInstanceRequest
{
    public string? Cluster { get; init; }
    public string? ContainerInstance { get; init; }
    public bool? Force { get; init; }
}

internal sealed record ContainerInstanceResponse : EcsResponse
{
    public EcsContainerInstance? ContainerInstance { get; init; }
}

internal sealed record DescribeTasksRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<string>? Tasks { get; init; }
}

internal sealed record DescribeTasksResponse : EcsResponse
{
    public IReadOnlyList<EcsTask>? Tasks { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
}

internal sealed record DescribeServicesRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<string>? Services { get; init; }
}

internal sealed record DescribeServicesResponse : EcsResponse
{
    public IReadOnlyList<EcsService>? Services { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
}

internal sealed record DescribeContainerInstancesRequest
{
    public string? Cluster { get; init; }
    public IReadOnlyList<string>? ContainerInstances { get; init; }
}

internal sealed record DescribeContainerInstancesResponse : EcsResponse
{
    public IReadOnlyList<EcsContainerInstance>? ContainerInstances { get; init; }
    public IReadOnlyList<Failure>? Failures { get; init; }
}
