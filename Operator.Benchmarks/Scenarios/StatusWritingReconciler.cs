namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Benchmark-only decorator: after every successful reconcile of a live object, writes its status unconditionally
/// (a merge patch of <c>status.lastSyncTime</c> to /status), as an operator that updates status on every pass does.
/// The write is not recorded as our own, so it costs what such a write costs (its watch echo is still filtered as a
/// status-only change).
/// </summary>
internal sealed class StatusWritingReconciler(IReconciler inner, ObjectStore<ECSCluster> clusters, IKubernetes client, TimeProvider time)
    : IReconciler
{
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
    {
        var result = await inner.ReconcileAsync(request, ct).ConfigureAwait(false);
        if (clusters.Get(request.Key) is { Metadata.DeletionTimestamp: null } obj)
        {
            var now = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var patch = $$$"""{"status":{"lastSyncTime":"{{{now}}}"}}""";
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch),
                ApiGroup.Group, ApiGroup.Version, obj.Metadata.NamespaceProperty, ECSCluster.PluralName, obj.Metadata.Name,
                cancellationToken: ct).ConfigureAwait(false);
        }
        return result;
    }
}
