using k8s;
using Microsoft.Extensions.Logging;

namespace Operator.Core.Supervision;

/// <summary>
/// Start-up gate: waits until the API server answers <c>/version</c>, retrying with exponential back-off
/// (500 ms doubling to 30 s) and one clear log line per attempt, instead of letting the process exit and crash-loop
/// while the control plane is restarting. Any HTTP answer, even an error status, means the server is reachable.
/// </summary>
internal sealed class ApiServerWait(IKubernetes client, TimeProvider time, ILogger<ApiServerWait> logger)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>True once the server answered; false when <paramref name="ct"/> was cancelled first.</summary>
    public async Task<bool> WaitAsync(CancellationToken ct)
    {
        var delay = First;
        var attempts = 0;
        while (!ct.IsCancellationRequested)
        {
            attempts++;
            try
            {
                using var deadline = new CancellationTokenSource(AttemptTimeout, time);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
                await client.Version.GetCodeAsync(attempt.Token).ConfigureAwait(false);
                Reached(attempts);
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return false;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                Reached(attempts);
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                logger.LogWarning("Kubernetes API server {Server} is not reachable ({Error}); waiting {Delay} before trying again (attempt {Attempt})",
                    (client as k8s.Kubernetes)?.BaseUri, e is OperationCanceledException ? "timed out" : e.GetBaseException().Message, delay, attempts);
            }
            try
            {
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = delay * 2 > Max ? Max : delay * 2;
        }
        return false;
    }

    private void Reached(int attempts)
    {
        if (attempts > 1)
        {
            logger.LogInformation("Kubernetes API server reachable after {Attempts} attempts; starting", attempts);
        }
    }
}
