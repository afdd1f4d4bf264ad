using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Operator.Core.Events;

/// <summary>
/// core/v1 Events (what <c>kubectl describe</c> shows), deduplicated like client-go's EventCorrelator: an event equal
/// to one recorded for the same object in the last <see cref="AggregationWindow"/> is a PATCH of its count and
/// lastTimestamp, not a new object, also across a restart (a Warning not seen by this process is first looked up
/// among the object's Events on the server); each object may burst <see cref="SpamBurst"/> events of one reason, then
/// one per <see cref="SpamRefill"/>, and events over that budget are dropped (and logged at debug). Normal lifecycle
/// events (<see cref="Lifecycle"/>) are never dropped: they are what a user looks for after a streak of warnings.
/// The bookkeeping of an object is dropped with <see cref="Forget"/> when the object is deleted.
/// </summary>
internal sealed class EventRecorder(IKubernetes client, TimeProvider time, ILogger<EventRecorder> logger, string component = "infra-operator")
    : IEventRecorder
{
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    public const int SpamBurst = 25;
    public static readonly TimeSpan SpamRefill = TimeSpan.FromMinutes(5);
    private const int MaxTracked = 8192;

    /// <summary>Normal reasons exempt from the spam budget.</summary>
    public static readonly IReadOnlySet<string> Lifecycle =
        new HashSet<string>(["Created", "Updated", "Adopted", "Deleted", "Retained", "Released"], StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, Recorded> recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SpamBudget> budgets = new(StringComparer.Ordinal);
    private readonly string instance = Environment.MachineName;

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct)
    {
        var meta = obj.Metadata;
        var now = time.GetUtcNow();
        var uid = meta.Uid ?? $"{meta.NamespaceProperty}/{meta.Name}";
        var exempt = severity == EventSeverity.Normal && Lifecycle.Contains(reason);
        if (!exempt && !budgets.GetOrAdd($"{uid}|{reason}", _ => new SpamBudget(now)).TryTake(now))
        {
            logger.LogDebug("Event {Reason} for {Namespace}/{Name} dropped by the spam filter", reason, meta.NamespaceProperty, meta.Name);
            return;
        }
        var key = $"{uid}|{severity}|{reason}|{message}";
        try
        {
            if (!recent.ContainsKey(key) && severity == EventSeverity.Warning && meta.Uid is not null
                && await FindExistingAsync(meta, reason, message, now, ct).ConfigureAwait(false) is { } existing)
            {
                recent[key] = existing;
            }
            if (recent.TryGetValue(key, out var seen) && now - seen.LastSeen < AggregationWindow)
            {
                var count = seen.Count + 1;
                var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ") };
                try
                {
                    await client.CoreV1.PatchNamespacedEventAsync(
                        new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), seen.Name, meta.NamespaceProperty,
                        cancellationToken: ct).ConfigureAwait(false);
                    recent[key] = seen with { Count = count, LastSeen = now };
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    // The event expired on the server (events have a TTL): record a fresh one.
                }
            }
            var name = $"{meta.Name}.{now.ToUnixTimeMilliseconds() * 1000 + Random.Shared.Next(1000):x}";
            var ev = new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = meta.NamespaceProperty },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = obj.ApiVersion, Kind = obj.Kind, Name = meta.Name, NamespaceProperty = meta.NamespaceProperty,
                    Uid = meta.Uid, ResourceVersion = meta.ResourceVersion,
                },
                Reason = reason,
                Message = message,
                Type = severity.ToString(),
                Count = 1,
                FirstTimestamp = now.UtcDateTime,
                LastTimestamp = now.UtcDateTime,
                Source = new V1EventSource { Component = component },
                ReportingComponent = component,
                ReportingInstance = instance,
            };
            await client.CoreV1.CreateNamespacedEventAsync(ev, meta.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
            if (recent.Count >= MaxTracked)
            {
                recent.Clear();
            }
            recent[key] = new Recorded(name, 1, now);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not record event {Reason} for {Namespace}/{Name}: {Error}", reason, meta.NamespaceProperty, meta.Name, e.Message);
        }
    }

    /// <summary>Drops the bookkeeping of a deleted object (identified by its uid).</summary>
    public void Forget(string uid)
    {
        var prefix = uid + "|";
        foreach (var key in recent.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            recent.TryRemove(key, out _);
        }
        foreach (var key in budgets.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            budgets.TryRemove(key, out _);
        }
    }

    /// <summary>An Event this component recorded earlier (e.g. before a restart) for the same object, reason and message.</summary>
    private async Task<Recorded?> FindExistingAsync(V1ObjectMeta meta, string reason, string message, DateTimeOffset now, CancellationToken ct)
    {
        var list = await client.CoreV1.ListNamespacedEventAsync(meta.NamespaceProperty,
            fieldSelector: $"involvedObject.uid={meta.Uid},reason={reason}", cancellationToken: ct).ConfigureAwait(false);
        var match = list.Items
            .Where(e => e.Message == message && e.Type == nameof(EventSeverity.Warning) && e.Source?.Component == component)
            .Select(e => (Event: e, Last: new DateTimeOffset(DateTime.SpecifyKind(e.LastTimestamp ?? e.FirstTimestamp ?? DateTime.MinValue, DateTimeKind.Utc))))
            .Where(e => now - e.Last < AggregationWindow)
            .OrderByDescending(e => e.Last)
            .FirstOrDefault();
        return match.Event is null ? null : new Recorded(match.Event.Metadata.Name, match.Event.Count ?? 1, match.Last);
    }

    private sealed record Recorded(string Name, int Count, DateTimeOffset LastSeen);

    /// <summary>A token bucket of <see cref="SpamBurst"/> tokens refilled one per <see cref="SpamRefill"/>.</summary>
    private sealed class SpamBudget(DateTimeOffset start)
    {
        private double tokens = SpamBurst;
        private DateTimeOffset last = start;

        public bool TryTake(DateTimeOffset now)
        {
            lock (this)
            {
                tokens = Math.Min(SpamBurst, tokens + ((now - last) / SpamRefill));
                last = now;
                if (tokens < 1)
                {
                    return false;
                }
                tokens -= 1;
                return true;
            }
        }
    }
}
