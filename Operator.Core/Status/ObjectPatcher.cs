using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Operator.Core.Kubernetes;

namespace Operator.Core.Status;

/// <summary>
/// The writes a reconciler makes to its own objects, each the smallest that does the job:
/// status goes to the <c>/status</c> subresource as a merge patch of only what differs, and not at all when nothing
/// differs (so status writes never retrigger work and never cost a request in steady state); finalizers are added or
/// removed by a merge patch carrying the cached resourceVersion, so a concurrent change makes it fail with 409
/// instead of silently overwriting someone else's finalizer list.
/// </summary>
internal sealed class ObjectPatcher(IKubernetes client, Controllers.OwnWriteTracker ownWrites)
{
    /// <summary>Patches <c>/status</c> from <paramref name="current"/> to <paramref name="desired"/>; false when equal.</summary>
    /// <param name="ifUnmodified">Send <paramref name="current"/>'s resourceVersion as a precondition: the write fails
    /// with 409 Conflict when anyone changed the object since, so a writer outside the work queue's per-key
    /// serialisation (the drift scanner) never overwrites a newer status written by a worker.</param>
    public async Task<bool> PatchStatusIfChangedAsync<T, TStatus>(T current, TStatus desired, CancellationToken ct, bool ifUnmodified = false)
        where T : IKubernetesObject<V1ObjectMeta>, IStatus<TStatus?>
        where TStatus : class
    {
        var from = current.Status is null ? null : ToObject(current.Status);
        var patch = JsonMergePatch.Create(from, ToObject(desired));
        if (patch is null)
        {
            return false;
        }
        var body = new JsonObject { ["status"] = patch };
        if (ifUnmodified)
        {
            body["metadata"] = new JsonObject { ["resourceVersion"] = current.Metadata.ResourceVersion };
        }
        var resource = ResourceType.Of<T>();
        var result = await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch),
            resource.Group, resource.Version, current.Metadata.NamespaceProperty, resource.Plural, current.Metadata.Name,
            cancellationToken: ct).ConfigureAwait(false);
        Record(resource, current, result);
        return true;
    }

    /// <summary>Adds <paramref name="finalizer"/> unless present; false when it was already there.</summary>
    public Task<bool> AddFinalizerAsync<T>(T current, string finalizer, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var finalizers = current.Metadata.Finalizers ?? [];
        return finalizers.Contains(finalizer)
            ? Task.FromResult(false)
            : PatchFinalizersAsync(current, [.. finalizers, finalizer], ct);
    }

    /// <summary>Removes <paramref name="finalizer"/> if present; false when it was not there.</summary>
    public Task<bool> RemoveFinalizerAsync<T>(T current, string finalizer, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var finalizers = current.Metadata.Finalizers ?? [];
        return !finalizers.Contains(finalizer)
            ? Task.FromResult(false)
            : PatchFinalizersAsync(current, [.. finalizers.Where(f => f != finalizer)], ct);
    }

    private async Task<bool> PatchFinalizersAsync<T>(T current, IReadOnlyList<string> finalizers, CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]),
                ["resourceVersion"] = current.Metadata.ResourceVersion,
            },
        };
        var resource = ResourceType.Of<T>();
        var result = await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch),
            resource.Group, resource.Version, current.Metadata.NamespaceProperty, resource.Plural, current.Metadata.Name,
            cancellationToken: ct).ConfigureAwait(false);
        Record(resource, current, result);
        return true;
    }

    /// <summary>Remembers the resourceVersion our write produced, so its watch echo does not trigger a reconcile.</summary>
    private void Record(ResourceType resource, IKubernetesObject<V1ObjectMeta> current, object? result)
    {
        if (result is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Object } json
            && json.TryGetProperty("metadata", out var meta)
            && meta.TryGetProperty("resourceVersion", out var rv))
        {
            ownWrites.Record(resource.Plural, ObjectKey.Of(current), rv.GetString());
        }
    }

    private static JsonObject ToObject<TValue>(TValue value) => JsonNode.Parse(KubernetesJson.Serialize(value))!.AsObject();
}
