namespace Operator.Core.Aws.Resilience;

/// <summary>
/// An AWS call that did not complete within its limits (<see cref="AwsResilienceOptions.AttemptTimeout"/> for every
/// attempt it was allowed, or <see cref="AwsResilienceOptions.CallTimeout"/> for all of them): the endpoint accepted
/// and did not answer in time. Thrown instead of Polly's <c>TimeoutRejectedException</c> (kept as the inner
/// exception) so the message names the service and operation; never thrown for a cancellation the caller asked for.
/// Retrying later may succeed.
/// </summary>
public sealed class AwsCallTimeoutException(string service, string operation, int attempts, TimeSpan attemptTimeout, TimeSpan callTimeout, Exception? inner = null)
    : TimeoutException(
        $"{service} {operation} did not answer in time ({attempts} attempt{(attempts == 1 ? "" : "s")}; limits {Seconds(attemptTimeout)} per attempt, {Seconds(callTimeout)} per call)",
        inner)
{
    public string Service { get; } = service;
    public string Operation { get; } = operation;
    public int Attempts { get; } = attempts;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###}s";
}
