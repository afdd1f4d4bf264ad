using System.Net;
using Operator.Core.Text;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// Base of every error ECS answered with. <see cref="ErrorCode"/> is the bare error type (the part of
/// <c>__type</c> after '#'); <see cref="Retryable"/> says whether repeating the same request can succeed
/// (throttling, 5xx) — the resilience layer retries exactly those. Messages come from the service (or whatever
/// answered in its place), so they pass through <see cref="ForeignText.Clean"/>: at most
/// <see cref="ForeignText.MaxLength"/> characters, no control characters, no HTML. They never contain credentials.
/// </summary>
public abstract class EcsException : Exception
{
    protected EcsException(string errorCode, string message, HttpStatusCode statusCode, string? requestId, bool retryable)
        : base(ForeignText.Clean(message))
    {
        ErrorCode = ForeignText.Clean(errorCode, MaxErrorCodeLength);
        StatusCode = statusCode;
        RequestId = requestId is null ? null : ForeignText.Clean(requestId, MaxErrorCodeLength);
        Retryable = retryable;
    }

    /// <summary>Longest error code kept: real ones are short names; anything longer came from something else.</summary>
    public const int MaxErrorCodeLength = 128;

    public string ErrorCode { get; }
    public HttpStatusCode StatusCode { get; }
    public string? RequestId { get; }
    public bool Retryable { get; }

    public override string ToString() =>
        $"{GetType().Name}: {ErrorCode} (HTTP {(int)StatusCode}, request id {RequestId ?? "-"}): {Message}";
}
