using k8s.Models;

namespace Operator.Core.Controllers;

/// <summary>
/// Decides from an update's old and new object alone whether it needs a reconcile, so the echoes of our own writes
/// are recognised whatever order the watch event and the write's response arrive in (on a real apiserver the event
/// usually comes first), and a write whose echo never comes leaves no state behind. The rule: an update reconciles
/// when it changes <c>metadata.generation</c> (spec), <c>deletionTimestamp</c>, removes one of the operator's own
/// annotation keys (a user clearing a recorded ARN on purpose), or changes the finalizers in any way other than adding
/// only the operator's own finalizers, or removing only them from an object being deleted (that is the end of our
/// deletion, and another finalizer still holds the object); it also reconciles when the resourceVersion did not change
/// (a resync re-delivering an object). Everything else — status,
/// resourceVersion, managedFields — is what our own status and finalizer patches change, and does not reconcile.
/// Labels and the other annotations are read by no reconciler (nothing in AWS follows them), so editing them costs
/// no reconcile and no AWS call.
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
        || OwnAnnotationRemoved(oldMeta.Annotations, newMeta.Annotations)
        || !FinalizersSameOrOnlyOursChanged(oldMeta.Finalizers, newMeta.Finalizers, deleting: newMeta.DeletionTimestamp is not null);

    private bool FinalizersSameOrOnlyOursChanged(IList<string>? before, IList<string>? after, bool deleting)
    {
        var old = before?.ToHashSet(StringComparer.Ordinal) ?? [];
        var now = after?.ToHashSet(StringComparer.Ordinal) ?? [];
        return now.Except(old).All(OwnFinalizers.Contains)
            && (old.IsSubsetOf(now) || (deleting && old.Except(now).All(OwnFinalizers.Contains)));
    }

    /// <summary>Removing one of our keys matters (a user may clear it on purpose); setting or changing them is our write.</summary>
    private bool OwnAnnotationRemoved(IDictionary<string, string>? before, IDictionary<string, string>? after) =>
        before is not null && OwnAnnotations.Any(k => before.ContainsKey(k) && after?.ContainsKey(k) != true);
}
