using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Operator.Core.Aws.Resilience;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The STS client's HTTP clients, counting every HTTP attempt (the SDK's own retries included) in
/// <c>aws_api_requests_total{service="sts"}</c>, <c>aws_api_request_duration_seconds</c> and
/// <c>aws_api_throttles_total</c>, as the ECS calls are counted. Connect and request time-outs are taken from the
/// client config exactly as the SDK's default factory applies them; one HttpClient per config and factory, cached by the SDK.
/// </summary>
internal sealed class StsTelemetryHttpClientFactory(AwsApiTelemetry telemetry) : HttpClientFactory
{
    // The SDK's client cache is process-wide: key it by this factory too, so another host's telemetry is never reused.
    private readonly string _id = Guid.NewGuid().ToString("N");

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var sockets = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All };
        if (clientConfig.ConnectTimeout is { } connect)
        {
            sockets.ConnectTimeout = connect;
        }
        return new HttpClient(new CountingHandler(telemetry) { InnerHandler = sockets })
        {
            Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100),
        };
    }

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string GetConfigUniqueString(IClientConfig clientConfig) =>
        $"sts-telemetry:{_id}:{clientConfig.ConnectTimeout}:{clientConfig.Timeout}";

    private sealed class CountingHandler(AwsApiTelemetry telemetry) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var operation = await OperationOfAsync(request, cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var outcome = response.IsSuccessStatusCode ? AwsCallOutcome.Success
                    : await IsThrottleAsync(response, cancellationToken).ConfigureAwait(false) ? AwsCallOutcome.Throttled
                    : (int)response.StatusCode >= 500 ? AwsCallOutcome.ServerError
                    : AwsCallOutcome.ClientError;
                telemetry.RecordAttempt("sts", operation, outcome, Stopwatch.GetElapsedTime(started));
                return response;
            }
            catch (Exception e)
            {
                var outcome = e is OperationCanceledException
                    ? cancellationToken.IsCancellationRequested ? AwsCallOutcome.Canceled : AwsCallOutcome.Timeout
                    : AwsCallOutcome.TransportError;
                telemetry.RecordAttempt("sts", operation, outcome, Stopwatch.GetElapsedTime(started));
                throw;
            }
        }

        /// <summary>STS speaks the query protocol: the operation is the form body's Action (no secret is in it).</summary>
        private static async Task<string> OperationOfAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Content is null)
            {
                return "unknown";
            }
            await request.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
            var body = await request.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            foreach (var pair in body.Split('&'))
            {
                if (pair.StartsWith("Action=", StringComparison.Ordinal))
                {
                    return Uri.UnescapeDataString(pair["Action=".Length..]);
                }
            }
            return request.Headers.TryGetValues("X-Amz-Target", out var target) ? target.First().Split('.').Last() : "unknown";
        }

        private static async Task<bool> IsThrottleAsync(HttpResponseMessage response, CancellationToken ct)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return true;
            }
            await response.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return text.Contains("Throttling", StringComparison.Ordinal) || text.Contains("RequestLimitExceeded", StringComparison.Ordinal);
        }
    }
}
