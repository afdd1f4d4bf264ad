using System.Net;
using k8s.Autorest;

namespace Operator.Core.Kubernetes;

/// <summary>
/// The one classifier of failed apiserver requests, for every caller (writers, the Secret reader, informers): what a
/// repeat can fix is transient, anything else is the caller's to report. AWS errors are classified once too, by
/// <c>AwsResiliencePipelines.IsTransient</c> (the AWS layer knows nothing of Kubernetes, and this one nothing of AWS).
/// </summary>
internal static class ApiErrors
{
    /// <summary>The apiserver is overloaded (429) or failing (5xx): back off and try again.</summary>
    public static bool IsTransientStatus(HttpStatusCode code) => code == HttpStatusCode.TooManyRequests || (int)code >= 500;

    /// <summary>
    /// True for failures a repeat of the same request can fix: the server was unreachable (refused, reset), overloaded
    /// (429) or failing (5xx), or the request timed out. False when <paramref name="ct"/> (the caller's) was cancelled.
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => !ct.IsCancellationRequested && e switch
    {
        HttpOperationException h => IsTransientStatus(h.Response.StatusCode),
        KubernetesApiException k => IsTransientStatus(k.StatusCode),
        HttpRequestException or TaskCanceledException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>
    /// 401 or 403. A real API server answers them for about a second after it starts, before its authenticator and
    /// authorizer have loaded: callers that have been working retry them for a short while (as a transient failure)
    /// before reporting them, so an API server restart never becomes a user-visible failure.
    /// </summary>
    public static bool IsAuthorization(Exception e) => e switch
    {
        HttpOperationException h => h.Response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
        KubernetesApiException k => k.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
        _ => false,
    };

    /// <summary>
    /// 409 Conflict: a precondition (the resourceVersion a write carried) no longer holds, because the object changed
    /// after the cache copy it was computed from, most often by the caller's own previous write whose watch event has
    /// not arrived yet. Not an error to report: the caller retries from a fresher cache.
    /// </summary>
    public static bool IsConflict(Exception e) => e switch
    {
        HttpOperationException h => h.Response.StatusCode == HttpStatusCode.Conflict,
        KubernetesApiException k => k.StatusCode == HttpStatusCode.Conflict,
        _ => false,
    };

    /// <summary>
    /// 404 Not Found naming the object itself (the Status body's details carry its resource and name): the object was
    /// deleted, e.g. an earlier pass removed its last finalizer and its delete event has not reached the cache yet, so a
    /// status write of this pass met nothing. Not a failure to report or retry: the delete event (or a new object's add
    /// event) queues the key again. A 404 about anything else (another object, an unknown resource) is not this.
    /// </summary>
    public static bool IsGone(Exception e, ResourceType resource, string name) =>
        e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound } h
        && Status(h)?.Details is { } details && details.Name == name && details.Kind == resource.Plural
        && (string.IsNullOrEmpty(details.Group) || details.Group == resource.Group);

    /// <summary>A short description without the response body (which can echo what was sent).</summary>
    public static string Describe(Exception e) =>
        e is HttpOperationException h ? $"HTTP {(int)h.Response.StatusCode}" : e.GetType().Name;

    /// <summary>
    /// An answer of the API server that a restart or a moment of overload explains: 429, 5xx, or 401/403
    /// (<see cref="IsAuthorization"/>). Only the Kubernetes client's own exceptions count: a refused connection cannot be
    /// told apart from an AWS endpoint's, and a status write meeting one is retried as a write anyway
    /// (<see cref="Status.ObjectPatcher"/>). Reconcilers retry these quietly for a grace period
    /// (<see cref="ApiServerHiccups"/>) before they report them as a condition and a Warning Event.
    /// </summary>
    public static bool IsApiServerHiccup(Exception e) =>
        e is HttpOperationException or KubernetesApiException && (IsTransient(e, CancellationToken.None) || IsAuthorization(e));

    /// <summary>
    /// What a failed request's Status body says ("Forbidden: secrets \"x\" is forbidden: ..."), never the raw body: a
    /// condition or Event message must read as a sentence. Null when the body is not a Status.
    /// </summary>
    public static string? StatusText(HttpOperationException e) => Status(e) is { } status
        ? status.Message is { Length: > 0 } message
            ? status.Reason is { Length: > 0 } reason ? $"{reason}: {message}" : message
            : status.Reason
        : null;

    /// <summary>A failed request's body read as a Status, or null when it is not one (plain text, empty, broken JSON).</summary>
    private static k8s.Models.V1Status? Status(HttpOperationException e)
    {
        var content = e.Response.Content;
        if (string.IsNullOrWhiteSpace(content) || content.TrimStart()[0] != '{')
        {
            return null;
        }
        try
        {
            return KubeJson.Engine.Deserialize<k8s.Models.V1Status>(content);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
