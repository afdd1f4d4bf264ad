using k8s.Models;

namespace Operator.Core.Controllers;

/// <summary>
/// Decides from an update's old and new object alone whether it needs a reconcile, so the echoes of our own writes
/// are recognised whatever order the watch event and the write's response arrive in (on a real apiserver the event
/// usually comes first), and a write whose echo never comes leaves no state behind. The rule: an update reconciles
/// when it changes <c>metadata.generation</c> (spec), <c>deletionTimestamp</c>, labels, annotations in any way other
/// than setting only the operator's own annotation keys, or the finalizers in any way other than adding only the
/// operator's own finalizers; it also reconciles when the
/// resourceVersion did not change (a resync, or a relist re-delivering an object). Everything else — status,
/// resourceVersion, managedFields — is what our own status and finalizer patches change, and does not reconcile.
/// Consequence the caller must cover: a status edited by hand is not reconciled on its own; the periodic resync
/// (AWSProviders) and the drift scan (ECSClusters) rewrite it. Stateless and thread-safe.
/// </summary>
internal sealed class OwnWriteFilter(IReadOnlyCollection<string> ownFinalizers, IReadOnlyCollection<string>? ownAnnotations = null)
{
    public IReadOnlyCollection<string> OwnFinalizers { get; } = ownFinalizers;

    public IReadOnlyCollection<string> OwnAnnotations { get; } = ownAnnotations ?? [];

    /// <summary>True when the change from <paramref name="oldMeta"/> to <paramref name="newMeta"/> needs a reconcile.</summary>
    public bool Matters(V1ObjectMeta oldMeta, V1ObjectMeta newMeta) =>
        oldMeta.ResourceVersion == newMeta.ResourceVersion
        || oldMeta.Generation != newMeta.Generation
        || oldMeta.DeletionTimestamp != newMeta.DeletionTimestamp
        || !SameMap(oldMeta.Labels, newMeta.Labels)
        || !AnnotationsSameOrOnlyOursSet(oldMeta.Annotations, newMeta.Annotations)
        || !FinalizersSameOrOnlyOursAdded(oldMeta.Finalizers, newMeta.Finalizers);

    private bool FinalizersSameOrOnlyOursAdded(IList<string>? before, IList<string>? after)
    {
        var old = before?.ToHashSet(StringComparer.Ordinal) ?? [];
        var now = after?.ToHashSet(StringComparer.Ordinal) ?? [];
        return old.IsSubsetOf(now) && now.Except(old).All(OwnFinalizers.Contains);
    }

    /// <summary>Removing any annotation matters (a user may clear ours on purpose); setting our own keys does not.</summary>
    private bool AnnotationsSameOrOnlyOursSet(IDictionary<string, string>? before, IDictionary<string, string>? after)
    {
        before ??= new Dictionary<string, string>();
        after ??= new Dictionary<string, string>();
        return before.All(kv => after.TryGetValue(kv.Key, out var v) && (v == kv.Value || OwnAnnotations.Contains(kv.Key)))
            && after.Keys.Where(k => !before.ContainsKey(k)).All(OwnAnnotations.Contains);
    }

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0)
        && (a is null || b is null || a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value));
}
