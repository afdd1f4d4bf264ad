using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Status;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

internal static partial class ClusterDecision
{
    /// <summary>
    /// The ownership gate: null when the cluster is ours (or now adopted on purpose); otherwise the plan that reports
    /// why, or that asks whether another owner is gone. Nothing is changed in ECS on a blocked path.
    /// </summary>
    private static ClusterPlan? Gate(ClusterScript s, DesiredCluster desired, Ecs.Cluster observed)
    {
        var obj = s.Obj;
        var state = Ownership.Check(obj, observed);
        if (state == OwnershipState.Ours)
        {
            return null;
        }
        var owner = Ownership.OwnerOf(observed);
        var adopt = obj.Spec.AdoptExisting == true;
        if (adopt && state == OwnershipState.Unowned)
        {
            var message = AdoptionMessage(desired, observed);
            s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Adopted, message);
            s.Log(LogLevel.Information, "{Message}", message);
            return null; // the diff adds the ownership tag and removes the tags listed in the message
        }
        if (adopt && state == OwnershipState.OtherOwner)
        {
            if (!s.Has(s.Observation.OwnerGone, out var gone))
            {
                return s.Ask(new AskOwnerGone(owner));
            }
            if (gone)
            {
                // The same account of what adoption removes as for an unowned cluster: the previous owner's tags are not ours.
                s.Event(EventSeverity.Normal, ClusterConditions.EventReasons.Adopted, AdoptionMessage(desired, observed,
                    $"its previous owner, {TenantView.Describe(obj.Metadata.NamespaceProperty, ECSCluster.KindName, owner)}, no longer exists"));
                s.Log(LogLevel.Information, "Adopting ECS cluster {ClusterName} left by the deleted ECSCluster {Owner}", observed.ClusterName, owner);
                return null;
            }
        }
        if (state == OwnershipState.Unowned)
        {
            var message = $"an ECS cluster named {observed.ClusterName} already exists and was not created by this object; "
                + "set spec.adoptExisting: true to manage it, or choose another clusterName";
            Block(s, observed, ClusterConditions.Reasons.AdoptionRequired, message);
            return s.End(ReconcileResult.Done); // the user must change the spec, which starts a new pass
        }
        // The owner is named only to a tenant of its own namespace: another namespace's objects are none of this one's business.
        var other = TenantView.IsOwn(obj.Metadata.NamespaceProperty, owner)
            ? $"ECS cluster {observed.ClusterName} is managed by ECSCluster {owner}; it will not be changed from here. "
                + $"To manage it from this object, delete ECSCluster {owner} with spec.deletionPolicy: Retain (which releases the cluster) "
                + "and set spec.adoptExisting: true here (a cluster whose owner no longer exists is adopted then too), or choose another clusterName"
            : $"ECS cluster {observed.ClusterName} is owned by another object (an ECSCluster in another namespace); it will not be changed "
                + "from here. It can be managed from this object only after its owner releases it (deleted with spec.deletionPolicy: Retain) "
                + "and this object sets spec.adoptExisting: true; otherwise choose another clusterName";
        Block(s, observed, ClusterConditions.Reasons.OwnedByAnotherObject, other);
        return s.End(ReconcileResult.After(s.Options.SlowRequeue));
    }

    private static void Block(ClusterScript s, Ecs.Cluster observed, string reason, string message)
    {
        s.Set(ClusterConditions.Synced, false, reason, message);
        s.Set(ClusterConditions.Ready, false, reason, message);
        s.Status.Status = observed.Status;
        s.WriteStatus();
        s.Event(EventSeverity.Warning, reason, message);
    }

    /// <summary>
    /// The Adopted event's text. Adoption makes the cluster's tags the managed set, so the pre-existing tags that are
    /// not in it are removed: the event lists them with their values (bounded), so that they can be put in the spec.
    /// </summary>
    internal static string AdoptionMessage(DesiredCluster desired, Ecs.Cluster observed, string? why = null)
    {
        const int MaxListed = 800;
        var removed = ClusterDiff.Compute(desired, observed, specChanged: false).TagKeysToRemove;
        var head = $"Adopted existing ECS cluster {observed.ClusterName}{(why is null ? "" : $" ({why})")}";
        if (removed.Count == 0)
        {
            return $"{head}; none of its tags is removed";
        }
        var values = (observed.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value ?? "", StringComparer.Ordinal);
        var listed = new System.Text.StringBuilder();
        var shown = 0;
        foreach (var key in removed)
        {
            var item = $"{key}={values.GetValueOrDefault(key, "")}";
            if (listed.Length + item.Length > MaxListed)
            {
                break;
            }
            listed.Append(shown == 0 ? "" : ", ").Append(item);
            shown++;
        }
        var more = removed.Count > shown ? $" and {removed.Count - shown} more" : "";
        var tags = removed.Count == 1 ? "1 pre-existing tag" : $"{removed.Count} pre-existing tags";
        return $"{head}; removing {tags} not in the spec (add them to spec.tags to keep them): {listed}{more}";
    }
}
