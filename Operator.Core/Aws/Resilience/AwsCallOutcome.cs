using Operator.Core.Aws.Ecs;
using Polly.Timeout;

namespace Operator.Core.Aws.Resilience;

/// <summary>The <c>outcome</c> label of <c>aws_api_requests_total</c>, derived from how an attempt ended.</summary>
internal static class AwsCallOutcome
{
    public const string Success = "success";
    public const string Throttled = "throttled";
    public const string ClientError = "client_error";
    public const string ServerError = "server_error";
    public const string TransportError = "transport_error";
    public const string Timeout = "timeout";
    public const string Canceled = "canceled";

    /// <summary>The HTTP layer refused the request or its answer (a header with CR/LF, a redirect, a body over the cap).</summary>
    public const string Refused = "refused";

    public static string Of(Exception? error) => error switch
    {
        null => Success,
        ThrottlingException => Throttled,
        EcsException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError } => ServerError,
        ServerException => ServerError,
        EcsException => ClientError,
        HttpRequestException => TransportError,
        TimeoutRejectedException => Timeout,
        OperationCanceledException => Canceled,
        Http.AwsHttpRefusedException => Refused,
        _ => TransportError,
    };
}
