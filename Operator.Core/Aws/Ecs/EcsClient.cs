using System.Net.Http.Headers;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// ECS over its JSON 1.1 protocol: <c>POST /</c> with <c>Content-Type: application/x-amz-json-1.1</c> and
/// <c>X-Amz-Target: AmazonEC2ContainerServiceV20141113.{Operation}</c>, signed with SigV4 (service <c>ecs</c>) by
/// AWSSDK.Core's standalone signer (<see cref="AWSSigV4Signer"/>, a public front door over the SDK's
/// <c>AWS4Signer</c>). Credentials are resolved with <see cref="AWSCredentials.GetCredentialsAsync"/> on every
/// request, so refreshing credentials (assume-role, web identity) and rotated secrets take effect at once; a session
/// token is sent as <c>X-Amz-Security-Token</c>. One attempt per call: retries, timeouts and rate limits are the
/// job of the resilience decorator. Error responses become <see cref="EcsException"/> subtypes. The body is read as a
/// stream after the headers: bounds on it (and on redirects and headers) are the given HttpClient's, which for the
/// operator is its provider's <see cref="Http.AwsHttpPool"/>. Thread-safe.
/// </summary>
internal sealed class EcsClient : IEcsClient
{
    public const string ServiceName = "ecs";
    private const string TargetPrefix = "AmazonEC2ContainerServiceV20141113.";
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/x-amz-json-1.1");

    private readonly HttpClient _http;
    private readonly AWSCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly Uri _endpoint;
    private readonly RegionEndpoint _region;

    public EcsClient(HttpClient http, AWSCredentials credentials, EcsClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Region);
        _http = http;
        _credentials = credentials;
        _time = timeProvider ?? TimeProvider.System;
        _endpoint = options.ResolveEndpoint();
        _region = RegionEndpoint.GetBySystemName(options.Region);
        Options = options;
    }

    public EcsClientOptions Options { get; }

    public Task<CreateClusterResponse> CreateClusterAsync(CreateClusterRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<CreateClusterRequest, CreateClusterResponse>("CreateCluster", request, cancellationToken);

    public Task<DescribeClustersResponse> DescribeClustersAsync(DescribeClustersRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<DescribeClustersRequest, DescribeClustersResponse>("DescribeClusters", request, cancellationToken);

    public Task<UpdateClusterResponse> UpdateClusterAsync(UpdateClusterRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<UpdateClusterRequest, UpdateClusterResponse>("UpdateCluster", request, cancellationToken);

    public Task<UpdateClusterSettingsResponse> UpdateClusterSettingsAsync(UpdateClusterSettingsRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<UpdateClusterSettingsRequest, UpdateClusterSettingsResponse>("UpdateClusterSettings", request, cancellationToken);

    public Task<PutClusterCapacityProvidersResponse> PutClusterCapacityProvidersAsync(PutClusterCapacityProvidersRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<PutClusterCapacityProvidersRequest, PutClusterCapacityProvidersResponse>("PutClusterCapacityProviders", request, cancellationToken);

    public Task<TagResourceResponse> TagResourceAsync(TagResourceRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<TagResourceRequest, TagResourceResponse>("TagResource", request, cancellationToken);

    public Task<UntagResourceResponse> UntagResourceAsync(UntagResourceRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<UntagResourceRequest, UntagResourceResponse>("UntagResource", request, cancellationToken);

    public Task<ListTagsForResourceResponse> ListTagsForResourceAsync(ListTagsForResourceRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<ListTagsForResourceRequest, ListTagsForResourceResponse>("ListTagsForResource", request, cancellationToken);

    public Task<DeleteClusterResponse> DeleteClusterAsync(DeleteClusterRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<DeleteClusterRequest, DeleteClusterResponse>("DeleteCluster", request, cancellationToken);

    public Task<DescribeCapacityProvidersResponse> DescribeCapacityProvidersAsync(DescribeCapacityProvidersRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<DescribeCapacityProvidersRequest, DescribeCapacityProvidersResponse>("DescribeCapacityProviders", request, cancellationToken);

    public Task<ListServicesResponse> ListServicesAsync(ListServicesRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<ListServicesRequest, ListServicesResponse>("ListServices", request, cancellationToken);

    public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<ListTasksRequest, ListTasksResponse>("ListTasks", request, cancellationToken);

    public Task<ListContainerInstancesResponse> ListContainerInstancesAsync(ListContainerInstancesRequest request, CancellationToken cancellationToken = default) =>
        InvokeAsync<ListContainerInstancesRequest, ListContainerInstancesResponse>("ListContainerInstances", request, cancellationToken);

    private async Task<TResponse> InvokeAsync<TRequest, TResponse>(string operation, TRequest request, CancellationToken cancellationToken)
        where TResponse : EcsResponse
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, EcsJson.TypeInfo<TRequest>());
        using var message = await CreateSignedRequestAsync(operation, body, cancellationToken).ConfigureAwait(false);
        // Headers first, then the body as a stream: the client's pool caps what it yields (AwsHttpGuard), so an answer
        // of any size costs at most that cap here.
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-request-id");
        using var content = new MemoryStream();
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
        }
        if (!response.IsSuccessStatusCode)
        {
            throw EcsErrorMapper.Map(response.StatusCode, System.Text.Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length),
                Header(response, "X-Amzn-ErrorType"), requestId);
        }

        TResponse? result;
        try
        {
            var json = content.GetBuffer().AsMemory(0, (int)content.Length);
            result = json.Span.Trim(" \t\r\n"u8).IsEmpty ? JsonSerializer.Deserialize("{}"u8, EcsJson.TypeInfo<TResponse>())
                : JsonSerializer.Deserialize(json.Span, EcsJson.TypeInfo<TResponse>());
        }
        catch (JsonException e)
        {
            throw new UnknownEcsException("InvalidResponse", $"{operation}: the response body is not valid ECS JSON: {e.Message}", response.StatusCode, requestId);
        }

        if (result is null)
        {
            throw new UnknownEcsException("InvalidResponse", $"{operation}: empty response body.", response.StatusCode, requestId);
        }

        result.RequestId = requestId;
        return result;
    }

    private async Task<HttpRequestMessage> CreateSignedRequestAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        var target = TargetPrefix + operation;
        var signing = new AWSSigningRequest { HttpMethod = HttpMethod.Post, RequestUri = _endpoint, Content = body };
        signing.Headers["Content-Type"] = JsonContentType.MediaType!;
        signing.Headers["X-Amz-Target"] = target;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = _credentials,
            Region = _region,
            Service = ServiceName,
            SignedAt = _time.GetUtcNow().UtcDateTime,
        };
        var signed = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken).ConfigureAwait(false);

        var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = JsonContentType;
        message.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        foreach (var (name, value) in signed.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
