using k8s.Models;

namespace Operator.Core.Providers;

/// <summary>
/// How long after an object's creation a missing dependency (an ECSCluster's AWSProvider, an AWSProvider's Secret)
/// counts as one still being created with it rather than a mistake. <c>kubectl apply -f dir/</c> creates the files in
/// name order (the samples' Secrets after their providers), and the operator's watches of different kinds deliver in
/// any order, so on the happy path a dependency can be missing for a moment. Within the grace the reconciler reports
/// the wait in a condition (same reason and message as later, so no extra status write) but records no Warning
/// Event, and requeues for the end of the grace; the dependency's own watch wakes the object earlier when it appears.
/// A dependency still missing when the grace is over gets the Warning as before. Callers pass their clock's now.
/// </summary>
internal static class DependencyGrace
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>What is left of <paramref name="period"/> since <paramref name="meta"/>'s creation; null when none
    /// (or when the creation time is unknown, so an object of unknown age is never kept silent).</summary>
    public static TimeSpan? Remaining(V1ObjectMeta meta, DateTime now, TimeSpan period)
    {
        if (meta.CreationTimestamp is not { } created)
        {
            return null;
        }
        var left = created.ToUniversalTime() + period - now;
        return left > TimeSpan.Zero ? left : null;
    }
}
