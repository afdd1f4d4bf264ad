using System.Net;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// Base of every error ECS answered with. <see cref="ErrorCode"/> is the bare error type (the part of
/// <c>__type</c> after '#'); <see cref="Retryable"/> says whether repeating the same request can succeed
/// (throttling, 5xx) — the resilience layer retries exactly those. Messages come from the service and never
/// contain credentials.
/// </summary>
public abstract class EcsException : Exception
{
    protected EcsException(string errorCode, string message, HttpStatusCode statusCode, string? requestId, bool retryable)
        : base(message)
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
        RequestId = requestId;
        Retryable = retryable;
    }

    public string ErrorCode { get; }
    public HttpStatusCode StatusCode { get; }
    public string? RequestId { get; }
    public bool Retryable { get; }

    public override string ToString() =>
        $"{GetType().Name}: {ErrorCode} (HTTP {(int)StatusCode}, request id {RequestId ?? "-"}): {Message}";
}
