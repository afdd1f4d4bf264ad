using Operator.Core.Kubernetes;

namespace Operator.Core.Controllers;

/// <summary>
/// Brings one object's world in line with its spec. Called with at most one call in flight per key, from any worker.
/// Return <see cref="ReconcileResult.Done"/> on success, <see cref="ReconcileResult.After"/> to be called again after a
/// delay (the back-off is reset), throw <see cref="TerminalReconcileException"/> for a failure retrying cannot fix, and
/// throw anything else for a transient failure (the key is retried with per-item exponential back-off).
/// The object may no longer exist: read it from the informer cache and treat absence as nothing to do.
/// </summary>
internal interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct);
}

/// <summary>The key of the object to reconcile, and the queue priority of the work that asked for it (a reconciler that
/// defers the key to another queue, as a provider's wait list does, passes it on so user changes stay first).</summary>
internal readonly record struct ReconcileRequest(string? Namespace, string Name)
{
    public int Priority { get; init; }

    public string Key => ObjectKey.Of(Namespace, Name);

    public override string ToString() => Key;
}

/// <summary>What the reconciler wants next: nothing, or another pass after <see cref="RequeueAfter"/>.</summary>
internal readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>A failure that retrying cannot fix (invalid spec, say): the key is not requeued until the object changes.</summary>
internal sealed class TerminalReconcileException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
