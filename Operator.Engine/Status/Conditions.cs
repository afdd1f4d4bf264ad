using k8s.Models;
using Operator.Core.Text;

namespace Operator.Core.Status;

/// <summary>
/// metav1.Condition bookkeeping with the apimachinery meta.SetStatusCondition semantics: one condition per type;
/// <c>lastTransitionTime</c> changes only when the status changes; reason, message and observedGeneration are
/// refreshed in place. Every message is capped at <see cref="MaxMessageLength"/> characters, far below the API
/// server's 32768, so a status patch can never be refused for the size of a message.
/// </summary>
internal static class Conditions
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    /// <summary>Longest condition message written; longer ones are cut and end in an ellipsis.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>Sets a condition in <paramref name="conditions"/>; returns true when anything changed.</summary>
    public static bool Set(
        List<V1Condition> conditions, string type, bool? status, string reason, string message, long? generation, DateTime now)
    {
        var statusText = status switch { true => True, false => False, null => Unknown };
        message = ForeignText.Truncate(message, MaxMessageLength);
        var existing = conditions.Find(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new V1Condition { LastTransitionTime = now, Message = message, Reason = reason, Status = statusText, Type = type, ObservedGeneration = generation });
            return true;
        }
        var changed = false;
        if (existing.Status != statusText)
        {
            existing.Status = statusText;
            existing.LastTransitionTime = now;
            changed = true;
        }
        if (existing.Reason != reason || existing.Message != message || existing.ObservedGeneration != generation)
        {
            existing.Reason = reason;
            existing.Message = message;
            existing.ObservedGeneration = generation;
            changed = true;
        }
        return changed;
    }

    /// <summary>Removes the condition of <paramref name="type"/>; returns true when there was one.</summary>
    public static bool Remove(List<V1Condition> conditions, string type) => conditions.RemoveAll(c => c.Type == type) > 0;

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IEnumerable<V1Condition>? conditions, string type) => Find(conditions, type)?.Status == True;

    /// <summary>A deep copy, so a reconciler can edit conditions without touching the informer's cached object.</summary>
    public static List<V1Condition> Copy(IEnumerable<V1Condition>? conditions) =>
        conditions?.Select(c => new V1Condition
        {
            LastTransitionTime = c.LastTransitionTime, Message = c.Message, Reason = c.Reason, Status = c.Status, Type = c.Type,
            ObservedGeneration = c.ObservedGeneration,
        }).ToList()
        ?? [];
}
