using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// Raw HTTP requests through the KubernetesClient's own pipeline (its HttpClient, TLS and credentials), for what the
/// generated client does not expose cleanly: paged lists and streaming watches read line by line.
/// Guarantees: every request carries the client's credentials; a non-success answer becomes a
/// <see cref="KubernetesApiException"/> holding the server's Status. The caller owns and disposes returned streams.
/// </summary>
internal sealed class RawApiClient
{
    private readonly k8s.Kubernetes _client;
    private readonly string _baseUri;

    public RawApiClient(IKubernetes client, KubeJson json)
    {
        Json = json;
        _client = client as k8s.Kubernetes
            ?? throw new ArgumentException("raw requests need the concrete k8s.Kubernetes client", nameof(client));
        _baseUri = _client.BaseUri.ToString().TrimEnd('/');
    }

    public IKubernetes Client => _client;

    /// <summary>The process's JSON of every kind (what lists are read with by default).</summary>
    public KubeJson Json { get; }

    /// <summary>One page of a list, read with <paramref name="json"/> (default <see cref="Json"/>), asked for
    /// as <paramref name="accept"/> (default plain JSON; <see cref="ResourceType.ListAccept"/> for metadata only).</summary>
    public async Task<ListPage<T>> ListAsync<T>(
        string collectionPath, int limit, string? continueToken, string? labelSelector, CancellationToken ct,
        JsonSerializerOptions? json = null, string? accept = null)
    {
        var query = new StringBuilder($"?limit={limit}");
        if (!string.IsNullOrEmpty(continueToken))
        {
            query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
        }
        if (!string.IsNullOrEmpty(labelSelector))
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        }
        using var response = await SendAsync(HttpMethod.Get, collectionPath + query, HttpCompletionOption.ResponseContentRead, accept, ct)
            .ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        return JsonSerializer.Deserialize(body, KubeJson.TypeInfo<ListPage<T>>(json ?? Json.Options))!;
    }

    /// <summary>Opens a watch stream; the answer's headers have been read, the body is streamed to the caller. Asked for
    /// as <paramref name="accept"/> (default plain JSON; <see cref="ResourceType.WatchAccept"/> for metadata only).</summary>
    public async Task<HttpResponseMessage> WatchAsync(
        string collectionPath, string resourceVersion, int timeoutSeconds, string? labelSelector, CancellationToken ct,
        string? accept = null)
    {
        var path = $"{collectionPath}?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}"
            + $"&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        if (!string.IsNullOrEmpty(labelSelector))
        {
            path += "&labelSelector=" + Uri.EscapeDataString(labelSelector);
        }
        return await SendAsync(HttpMethod.Get, path, HttpCompletionOption.ResponseHeadersRead, accept, ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string pathAndQuery, HttpCompletionOption completion, string? accept, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, _baseUri + pathAndQuery);
        request.Headers.Accept.ParseAdd(accept ?? "application/json");
        if (_client.Credentials is not null)
        {
            await _client.Credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
        }
        var response = await _client.HttpClient.SendAsync(request, completion, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static async Task<KubernetesApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        V1Status? status = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            status = KubeJson.Engine.Deserialize<V1Status>(text);
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy's error page, say): the HTTP status code alone tells what happened.
        }
        var retryAfter = response.Headers.RetryAfter?.ToString();
        return new KubernetesApiException(response.StatusCode, status, retryAfter);
    }
}
