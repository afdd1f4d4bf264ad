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
/// lastTimestamp, not a new object; each object may burst <see cref="SpamBurst"/> events, then one per
/// <see cref="SpamRefill"/>, and events over that budget are dropped (and logged at debug). Messages are capped at
/// <see cref="MaxMessageLength"/> characters.
/// </summary>
internal sealed class EventRecorder(IKubernetes client, TimeProvider time, ILogger<EventRecorder> logger, string component = "infra-operator")
    : IEventRecorder
{
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    public const int SpamBurst = 25;
    public static readonly TimeSpan SpamRefill = TimeSpan.FromMinutes(5);
    private const int MaxTracked = 8192;
    public const int MaxMessageLength = 1024;

    private readonly ConcurrentDictionary<string, Recorded> recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SpamBudget> budgets = new(StringComparer.Ordinal);
    private readonly string instance = Environment.MachineName;

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct)
    {
        message = Status.ForeignText.Truncate(message, MaxMessageLength);
        var meta = obj.Metadata;
        var now = time.GetUtcNow();
        var uid = meta.Uid ?? $"{meta.NamespaceProperty}/{meta.Name}";
        if (!budgets.GetOrAdd(uid, _ => new SpamBudget(now)).TryTake(now))
        {
            logger.LogDebug("Event {Reason} for {Namespace}/{Name} dropped by the spam filter", reason, meta.NamespaceProperty, meta.Name);
            return;
        }
        var key = $"{uid}|{severity}|{reason}|{message}";
        try
        {
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
