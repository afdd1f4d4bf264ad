using System.Net.Sockets;
using Amazon.Runtime;
using k8s.Autorest;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Resilience;
using Operator.Core.Kubernetes;
using Operator.Core.Text;
using Polly.Timeout;

namespace Operator.Core.Status;

/// <summary>
/// A failure a reconciler reports as a condition: a reason and a message that is safe for status, Events and logs
/// (foreign text passes through <see cref="ForeignText"/>; our own is short). <see cref="Of"/> classifies any
/// exception, so a reconciler's last catch can always set a condition. The caller must filter out its own
/// cancellation first (that is shutdown, not a failure), and rethrow <see cref="ToException"/> afterwards so the
/// key is retried with the queue's per-item back-off and the controller's log line carries the sanitised message.
/// </summary>
internal sealed record ReconcileFailure(string Reason, string Message)
{
    /// <summary>An endpoint accepted the request and did not answer within the configured limits.</summary>
    public const string Timeout = nameof(Timeout);

    /// <summary>No connection, a reset, or a TLS or DNS failure.</summary>
    public const string EndpointUnreachable = nameof(EndpointUnreachable);

    /// <summary>AWS (or what answered in its place) returned an error the reconciler has no specific reason for.</summary>
    public const string AwsError = nameof(AwsError);

    /// <summary>The Kubernetes API refused or failed a request.</summary>
    public const string KubernetesApiError = nameof(KubernetesApiError);

    /// <summary>Anything else: a bug, or a library failing in a way not foreseen.</summary>
    public const string InternalError = nameof(InternalError);

    public static ReconcileFailure Of(Exception e)
    {
        switch (e)
        {
            case ReportedFailureException r:
                return new(r.Reason, r.Detail);
            case ProviderCredentialsException p:
                return new(p.Reason, ForeignText.Truncate(p.Message, Conditions.MaxMessageLength));
            case Exception when Aws.Http.AwsHttpRefusedException.Find(e) is { } refused:
                // Also through the SDK's wrappers: a redirect or an oversized body is the endpoint's doing, not a bug.
                return new(ProviderCredentialsReasons.Of(refused.Kind), refused.Message);
            case AwsCallTimeoutException t:
                return new(Timeout, t.Message);
            case TimeoutRejectedException:
                return new(Timeout, "an AWS call did not answer within its time limit");
            case EcsException ecs:
                return new(AwsError, $"{ecs.ErrorCode}: {ecs.Message}");
            case AmazonServiceException { StatusCode: not 0 } aws:
            {
                var code = ForeignText.Clean(aws.ErrorCode, EcsException.MaxErrorCodeLength);
                return new(AwsError, $"AWS answered HTTP {(int)aws.StatusCode} ({(code.Length > 0 ? code : "no error code")}): {ForeignText.Clean(aws.Message)}");
            }
            case KubernetesApiException k:
                return new(KubernetesApiError, ForeignText.Clean(k.Message));
            case HttpOperationException h:
                // The Status body's reason and message, never the raw body (JSON is no message for a person).
                return new(KubernetesApiError, $"the Kubernetes API answered {(int)h.Response.StatusCode}"
                    + (ApiErrors.StatusText(h) is { } text ? $": {ForeignText.Clean(text)}" : ""));
        }

        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException or SocketException or IOException)
            {
                return new(EndpointUnreachable, $"the endpoint is unreachable: {ForeignText.Clean(x.Message)}");
            }

            if (x is OperationCanceledException or TimeoutException)
            {
                return new(Timeout, $"a call timed out: {ForeignText.Clean(x.Message)}");
            }
        }

        return new(InternalError, $"{e.GetType().Name}: {ForeignText.Clean(e.Message)}");
    }

    public ReportedFailureException ToException(Exception inner) => new(Reason, Message, inner);
}

/// <summary>
/// A failure already reported in status and an Event, rethrown for the work queue's per-item back-off. Its message
/// is <c>reason: detail</c>, sanitised; the original exception is the inner one.
/// </summary>
internal sealed class ReportedFailureException(string reason, string detail, Exception inner)
    : Exception($"{reason}: {detail}", inner), Text.ISafeMessageException
{
    public string Reason { get; } = reason;
    public string Detail { get; } = detail;
}
