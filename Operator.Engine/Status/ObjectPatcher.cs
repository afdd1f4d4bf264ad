using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Kubernetes;

namespace Operator.Core.Status;

/// <summary>
/// The writes a reconciler makes to its own objects, each the smallest that does the job:
/// status goes to the <c>/status</c> subresource as a merge patch of only what differs, and not at all when nothing
/// differs (so status writes never retrigger work and never cost a request in steady state); finalizers are added or
/// removed by a merge patch carrying the cached resourceVersion, so a concurrent change makes it fail with 409
/// instead of silently overwriting someone else's finalizer list. Every write names the operator's field manager.
/// A write that fails transiently (429, 5xx, connection refused or reset, a timed-out request) is retried as a write,
/// with back-off (<see cref="WriteRetryOptions"/>), so a short apiserver outage does not re-run the reconcile and
/// its AWS reads; it gives up (rethrows) only after <see cref="WriteRetryOptions.MaxElapsed"/> or when the caller's
/// token is cancelled. Retrying is safe: a status merge patch is idempotent, and a repeated finalizer patch whose
/// first attempt did land fails with 409 (the reconcile is then retried as usual). A 401 or 403 is retried the same
/// way for <see cref="WriteRetryOptions.AuthorizationGrace"/> (an API server that has just started answers them until
/// its authorizer has loaded), then reported. Other errors are not retried.
/// Own writes: every patch is computed against the newer of the given (cached) object and what this process last
/// wrote to it (<see cref="OwnWrites"/>), so a write is never judged unnecessary, nor sent with a stale
/// resourceVersion, because the informer has not yet delivered our previous write.
/// </summary>
internal sealed class ObjectPatcher(
    IKubernetes client, KubeJson json, TimeProvider time, ILogger<ObjectPatcher> logger, WriteRetryOptions? retry = null,
    OwnWrites? ownWrites = null)
{
    private readonly WriteRetryOptions _retry = retry ?? new WriteRetryOptions();
    private readonly OwnWrites _own = ownWrites ?? new OwnWrites(time);

    /// <summary>Patches <c>/status</c> from <paramref name="current"/> to <paramref name="desired"/>; false when equal.</summary>
    /// <param name="ifUnmodified">Send <paramref name="current"/>'s resourceVersion as a precondition: the write fails
    /// with 409 Conflict when anyone changed the object since, so a writer outside the work queue's per-key
    /// serialisation (the drift scanner) never overwrites a newer status written by a worker.</param>
    public async Task<bool> PatchStatusIfChangedAsync<T, TStatus>(T current, TStatus desired, CancellationToken ct, bool ifUnmodified = false)
        where T : IKubernetesObject<V1ObjectMeta>, IStatus<TStatus?>
        where TStatus : class
    {
        var written = _own.Newer(Key(current), current.Metadata.ResourceVersion, current.Metadata.Uid);
        // What we wrote last is read back through the model, so both sides of the diff are serialised alike.
        var from = written is not null
            ? written["status"] is JsonObject status ? ToObject(json.Deserialize<TStatus>(status.ToJsonString())) : null
            : current.Status is null ? null : ToObject(current.Status);
        var patch = JsonMergePatch.Create(from, ToObject(desired));
        if (patch is null)
        {
            return false;
        }
        var body = new JsonObject { ["status"] = patch };
        if (ifUnmodified)
        {
            body["metadata"] = new JsonObject { ["resourceVersion"] = ResourceVersion(current, written) };
        }
        var resource = ResourceType.Of<T>();
        var text = body.ToJsonString();
        await WithRetryAsync(current, "status patch", () => client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(text, V1Patch.PatchType.MergePatch),
            resource.Group, resource.Version, current.Metadata.NamespaceProperty, resource.Plural, current.Metadata.Name,
            fieldManager: OperatorIdentity.FieldManager, cancellationToken: ct), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Adds <paramref name="finalizer"/> unless present; false when it was already there.</summary>
    public Task<bool> AddFinalizerAsync<T>(T current, string finalizer, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var finalizers = Finalizers(current);
        return finalizers.Contains(finalizer)
            ? Task.FromResult(false)
            : PatchFinalizersAsync(current, [.. finalizers, finalizer], ct);
    }

    /// <summary>Removes <paramref name="finalizer"/> if present; false when it was not there.</summary>
    public Task<bool> RemoveFinalizerAsync<T>(T current, string finalizer, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var finalizers = Finalizers(current);
        return !finalizers.Contains(finalizer)
            ? Task.FromResult(false)
            : PatchFinalizersAsync(current, [.. finalizers.Where(f => f != finalizer)], ct);
    }

    /// <summary>Sets one annotation (a merge patch of that key only, so it never overwrites other writers); false when
    /// it already had this value.</summary>
    public async Task<bool> SetAnnotationAsync<T>(T current, string key, string value, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var written = _own.Newer(Key(current), current.Metadata.ResourceVersion, current.Metadata.Uid);
        var have = written is not null
            ? written["metadata"]?["annotations"]?[key]?.GetValue<string>()
            : current.Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out var cached) ? cached : null;
        if (have == value)
        {
            return false;
        }
        var body = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value } } };
        var resource = ResourceType.Of<T>();
        var text = body.ToJsonString();
        await WithRetryAsync(current, "annotation patch", () => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(text, V1Patch.PatchType.MergePatch),
            resource.Group, resource.Version, current.Metadata.NamespaceProperty, resource.Plural, current.Metadata.Name,
            fieldManager: OperatorIdentity.FieldManager, cancellationToken: ct), ct).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> PatchFinalizersAsync<T>(T current, IReadOnlyList<string> finalizers, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]),
                ["resourceVersion"] = ResourceVersion(current, _own.Newer(Key(current), current.Metadata.ResourceVersion, current.Metadata.Uid)),
            },
        };
        var resource = ResourceType.Of<T>();
        var text = body.ToJsonString();
        await WithRetryAsync(current, "finalizer patch", () => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(text, V1Patch.PatchType.MergePatch),
            resource.Group, resource.Version, current.Metadata.NamespaceProperty, resource.Plural, current.Metadata.Name,
            fieldManager: OperatorIdentity.FieldManager, cancellationToken: ct), ct).ConfigureAwait(false);
        return true;
    }

    private async Task WithRetryAsync(IKubernetesObject<V1ObjectMeta> current, string what, Func<Task<object>> send, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var delay = _retry.BaseDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var answer = await send().ConfigureAwait(false);
                if (JsonNode.Parse(json.Serialize(answer)) is JsonObject written)
                {
                    _own.Record(Key(current), written);
                }
                return;
            }
            catch (Exception e) when (time.GetElapsedTime(started) + delay < (ApiErrors.IsAuthorization(e) && !ct.IsCancellationRequested
                ? _retry.AuthorizationGrace : ApiErrors.IsTransient(e, ct) ? _retry.MaxElapsed : TimeSpan.Zero))
            {
                logger.LogWarning("{What} of {Namespace}/{Name} failed (attempt {Attempt}), retrying in {Delay}: {Error}",
                    what, current.Metadata.NamespaceProperty, current.Metadata.Name, attempt, delay, Describe(e));
            }
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _retry.MaxDelay.Ticks));
        }
    }

    private static string Describe(Exception e) => ApiErrors.Describe(e);

    private static string Key<T>(T obj) where T : IKubernetesObject<V1ObjectMeta> => OwnWrites.KeyOf(obj);

    private static string? ResourceVersion<T>(T current, JsonObject? written) where T : IKubernetesObject<V1ObjectMeta> =>
        written?["metadata"]?["resourceVersion"]?.GetValue<string>() ?? current.Metadata.ResourceVersion;

    private IList<string> Finalizers<T>(T current) where T : IKubernetesObject<V1ObjectMeta> =>
        _own.Newer(Key(current), current.Metadata.ResourceVersion, current.Metadata.Uid) is { } written
            ? [.. (written["metadata"]?["finalizers"] as JsonArray ?? []).Select(f => f!.GetValue<string>())]
            : current.Metadata.Finalizers ?? [];

    private JsonObject ToObject(object value) => JsonNode.Parse(json.Serialize(value))!.AsObject();
}

/// <summary>How <see cref="ObjectPatcher"/> retries a transiently failed write.</summary>
internal sealed record WriteRetryOptions
{
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After this long the write fails and the reconcile is retried with the queue's per-item back-off.</summary>
    public TimeSpan MaxElapsed { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a 401 or 403 is retried before it is reported: longer than a starting API server takes to load
    /// its authorizer, short enough that a real RBAC gap is reported quickly.</summary>
    public TimeSpan AuthorizationGrace { get; init; } = TimeSpan.FromSeconds(15);
}
