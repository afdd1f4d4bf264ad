namespace Operator.Core.Controllers;

/// <summary>
/// Optional for an <see cref="IReconciler"/> whose passes share a scarce resource (an AWS provider's reconcile slots):
/// before each pass the controller asks <see cref="Admit"/>. False means the reconciler has deferred the key and owns
/// its wake-up (it queues the key again itself, e.g. when a slot frees): the controller forgets the key without a pass,
/// so a key that only waits for its turn costs neither a reconcile nor a retry. True runs the pass as usual.
/// Contract for implementers: cheap and non-blocking (cache reads only), never throws for a missing object (admit it:
/// the pass sees it gone), and reserves nothing: an admitted pass may still find the resource taken by the time it
/// runs and must handle that as it would without admission.
/// </summary>
internal interface IReconcileAdmission
{
    bool Admit(ReconcileRequest request);
}
