using System.Net;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// A non-success answer of the API server to a raw request, with the <see cref="V1Status"/> it sent when it sent one.
/// </summary>
internal sealed class KubernetesApiException(HttpStatusCode statusCode, V1Status? status, string? retryAfter = null)
    : Exception($"Kubernetes API answered {(int)statusCode} {status?.Reason}: {status?.Message}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public V1Status? Status { get; } = status;

    /// <summary>The Retry-After header of a 429/503 answer, as sent.</summary>
    public string? RetryAfter { get; } = retryAfter;

    /// <summary>410 Gone / reason Expired: the requested resourceVersion is older than the server keeps.</summary>
    public bool IsExpired => StatusCode == HttpStatusCode.Gone || Status?.Code == 410;

    /// <summary>Transient: the server is overloaded or failing; back off and try again.</summary>
    public bool IsTransient => ApiErrors.IsTransientStatus(StatusCode);
}
