using k8s.Autorest;

namespace Operator.Core.Kubernetes;

/// <summary>How the writers classify a failed apiserver request.</summary>
internal static class ApiErrors
{
    /// <summary>
    /// True for failures a repeat of the same request can fix: the server was unreachable (refused, reset), overloaded
    /// (429) or failing (5xx), or the request timed out. False when <paramref name="ct"/> (the caller's) was cancelled.
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => !ct.IsCancellationRequested && e switch
    {
        HttpOperationException h => (int)h.Response.StatusCode is 429 or >= 500,
        HttpRequestException or TaskCanceledException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>A short description without the response body (which can echo what was sent).</summary>
    public static string Describe(Exception e) =>
        e is HttpOperationException h ? $"HTTP {(int)h.Response.StatusCode}" : e.GetType().Name;
}
