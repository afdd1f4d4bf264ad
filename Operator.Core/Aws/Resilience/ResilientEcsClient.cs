using System.Diagnostics;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Ecs.Model;
using Polly.Timeout;

namespace Operator.Core.Aws.Resilience;

/// <summary>
/// Decorates any <see cref="IEcsClient"/> (the raw HTTP client, or AWSSDK.ECS later) with the shared
/// <see cref="AwsResiliencePipelines"/> for one account and region: Describe*/List* draw from the read bucket,
/// everything else from the write bucket. One Activity per logical call; metrics per attempt. Exceptions are
/// those of the inner client (after retries are exhausted), <see cref="AwsCallTimeoutException"/> when the attempt or
/// call limit ran out, or <see cref="OperationCanceledException"/> when the caller cancelled.
/// </summary>
internal sealed class ResilientEcsClient : IEcsClient
{
    private readonly IEcsClient _inner;
    private readonly AwsResiliencePipelines _pipelines;
    private readonly string _accountId;
    private readonly string _region;

    public ResilientEcsClient(IEcsClient inner, AwsResiliencePipelines pipelines, string accountId, string region)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(pipelines);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        _inner = inner;
        _pipelines = pipelines;
        _accountId = accountId;
        _region = region;
    }

    public Task<CreateClusterResponse> CreateClusterAsync(CreateClusterRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("CreateCluster", AwsCallKind.Write, (c, t) => c.CreateClusterAsync(request, t), cancellationToken);

    public Task<DescribeClustersResponse> DescribeClustersAsync(DescribeClustersRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("DescribeClusters", AwsCallKind.Read, (c, t) => c.DescribeClustersAsync(request, t), cancellationToken);

    public Task<UpdateClusterResponse> UpdateClusterAsync(UpdateClusterRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("UpdateCluster", AwsCallKind.Write, (c, t) => c.UpdateClusterAsync(request, t), cancellationToken);

    public Task<UpdateClusterSettingsResponse> UpdateClusterSettingsAsync(UpdateClusterSettingsRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("UpdateClusterSettings", AwsCallKind.Write, (c, t) => c.UpdateClusterSettingsAsync(request, t), cancellationToken);

    public Task<PutClusterCapacityProvidersResponse> PutClusterCapacityProvidersAsync(PutClusterCapacityProvidersRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("PutClusterCapacityProviders", AwsCallKind.Write, (c, t) => c.PutClusterCapacityProvidersAsync(request, t), cancellationToken);

    public Task<TagResourceResponse> TagResourceAsync(TagResourceRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("TagResource", AwsCallKind.Write, (c, t) => c.TagResourceAsync(request, t), cancellationToken);

    public Task<UntagResourceResponse> UntagResourceAsync(UntagResourceRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("UntagResource", AwsCallKind.Write, (c, t) => c.UntagResourceAsync(request, t), cancellationToken);

    public Task<ListTagsForResourceResponse> ListTagsForResourceAsync(ListTagsForResourceRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("ListTagsForResource", AwsCallKind.Read, (c, t) => c.ListTagsForResourceAsync(request, t), cancellationToken);

    public Task<DeleteClusterResponse> DeleteClusterAsync(DeleteClusterRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("DeleteCluster", AwsCallKind.Write, (c, t) => c.DeleteClusterAsync(request, t), cancellationToken);

    public Task<DescribeCapacityProvidersResponse> DescribeCapacityProvidersAsync(DescribeCapacityProvidersRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("DescribeCapacityProviders", AwsCallKind.Read, (c, t) => c.DescribeCapacityProvidersAsync(request, t), cancellationToken);

    public Task<ListServicesResponse> ListServicesAsync(ListServicesRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("ListServices", AwsCallKind.Read, (c, t) => c.ListServicesAsync(request, t), cancellationToken);

    public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("ListTasks", AwsCallKind.Read, (c, t) => c.ListTasksAsync(request, t), cancellationToken);

    public Task<ListContainerInstancesResponse> ListContainerInstancesAsync(ListContainerInstancesRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("ListContainerInstances", AwsCallKind.Read, (c, t) => c.ListContainerInstancesAsync(request, t), cancellationToken);

    private async Task<T> RunAsync<T>(string operation, AwsCallKind kind, Func<IEcsClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var pipeline = _pipelines.Get(new AwsRateLimitKey(EcsClient.ServiceName, _accountId, _region, kind));
        var telemetry = _pipelines.Telemetry;
        var time = _pipelines.Time;
        using var activity = telemetry.StartCall(EcsClient.ServiceName, operation, _region, _accountId);
        var attempts = 0;
        try
        {
            var result = await pipeline.ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref attempts);
                var started = time.GetTimestamp();
                try
                {
                    var value = await call(_inner, token).ConfigureAwait(false);
                    telemetry.RecordAttempt(EcsClient.ServiceName, operation, AwsCallOutcome.Success, time.GetElapsedTime(started));
                    return value;
                }
                catch (Exception e)
                {
                    var outcome = e is OperationCanceledException && !cancellationToken.IsCancellationRequested
                        ? AwsCallOutcome.Timeout
                        : AwsCallOutcome.Of(e);
                    telemetry.RecordAttempt(EcsClient.ServiceName, operation, outcome, time.GetElapsedTime(started));
                    activity?.AddEvent(new ActivityEvent("aws.attempt.failed", tags: new ActivityTagsCollection
                    {
                        ["outcome"] = outcome,
                        ["error.type"] = e is EcsException ee ? ee.ErrorCode : e.GetType().Name,
                    }));
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
            activity?.SetStatus(ActivityStatusCode.Ok);
            return result;
        }
        catch (TimeoutRejectedException e) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, AwsCallOutcome.Timeout);
            activity?.SetTag("error.type", typeof(AwsCallTimeoutException).FullName);
            var options = _pipelines.Options;
            throw new AwsCallTimeoutException(EcsClient.ServiceName, operation, Volatile.Read(ref attempts), options.AttemptTimeout, options.CallTimeout, e);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e is EcsException ee ? ee.ErrorCode : e.GetType().Name);
            activity?.SetTag("error.type", e is EcsException ee2 ? ee2.ErrorCode : e.GetType().FullName);
            throw;
        }
        finally
        {
            activity?.SetTag("aws.attempts", attempts);
        }
    }
}
