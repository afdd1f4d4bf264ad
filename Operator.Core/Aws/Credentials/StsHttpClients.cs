using System.Net;
using Amazon.Runtime;
using Operator.Core.Aws.Http;
using Operator.Core.Aws.Resilience;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The HTTP clients of the AWS SDK's STS clients: each provider's STS calls go through that provider's own
/// <see cref="AwsHttpPool"/> (<see cref="Create"/> builds its <see cref="AwsHttpPool.Sts"/> client; <see cref="For"/>
/// hands it to the SDK), never through a connection the SDK shares between clients. Every HTTP attempt (the SDK's own
/// retries included) is counted in <c>aws_api_requests_total{service="sts"}</c>, <c>aws_api_request_duration_seconds</c>
/// and <c>aws_api_throttles_total</c>, as the ECS calls are.
/// </summary>
internal static class StsHttpClients
{
    /// <summary>A pool's STS client on its guarded handler: one attempt at most <paramref name="attemptTimeout"/>; attempts
    /// are timed on <paramref name="time"/> (default the system clock).</summary>
    public static HttpClient Create(HttpMessageHandler guarded, AwsApiTelemetry? telemetry, TimeSpan attemptTimeout, TimeProvider? time = null) =>
        new(telemetry is null ? guarded : new CountingHandler(telemetry, time ?? TimeProvider.System) { InnerHandler = guarded }, disposeHandler: false)
        {
            Timeout = attemptTimeout,
        };

    /// <summary>What an STS client's config takes as its <see cref="ClientConfig.HttpClientFactory"/>: the pool's client,
    /// neither cached process-wide nor disposed by the SDK (the pool owns it).</summary>
    public static HttpClientFactory For(AwsHttpPool pool) => new PoolClientFactory(pool.Sts);

    private sealed class PoolClientFactory(HttpClient client) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => client;

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    }

    // Not disposed with its client (disposeHandler: false): the pool disposes the guarded handler below it.
    private sealed class CountingHandler(AwsApiTelemetry telemetry, TimeProvider time) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var operation = await OperationOfAsync(request, cancellationToken).ConfigureAwait(false);
            var started = time.GetTimestamp();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var outcome = response.IsSuccessStatusCode ? AwsCallOutcome.Success
                    : await IsThrottleAsync(response, cancellationToken).ConfigureAwait(false) ? AwsCallOutcome.Throttled
                    : (int)response.StatusCode >= 500 ? AwsCallOutcome.ServerError
                    : AwsCallOutcome.ClientError;
                telemetry.RecordAttempt("sts", operation, outcome, time.GetElapsedTime(started));
                return response;
            }
            catch (Exception e)
            {
                var outcome = e is OperationCanceledException
                    ? cancellationToken.IsCancellationRequested ? AwsCallOutcome.Canceled : AwsCallOutcome.Timeout
                    : AwsCallOutcome.Of(e);
                telemetry.RecordAttempt("sts", operation, outcome, time.GetElapsedTime(started));
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

        // The error body is read through the pool's cap (AwsHttpGuard sits below this handler).
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
