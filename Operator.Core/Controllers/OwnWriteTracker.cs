using System.Collections.Concurrent;

namespace Operator.Core.Controllers;

/// <summary>
/// Remembers the resourceVersions our own writes produced, per object, so the watch events that echo those writes can
/// be recognised and dropped instead of triggering another reconcile (a finalizer patch followed by a status patch
/// makes two echoes, which may arrive after both writes returned). Each echo is consumed once; at most
/// <see cref="MaxPendingPerObject"/> are kept per object (the oldest is dropped, costing at worst one extra
/// reconcile). Writes whose effect a reconcile must see must not be recorded. Thread-safe.
/// </summary>
internal sealed class OwnWriteTracker
{
    public const int MaxPendingPerObject = 8;

    private readonly ConcurrentDictionary<string, Queue<string>> pending = new(StringComparer.Ordinal);

    /// <param name="resource">The plural of the kind: keys of different kinds must not collide.</param>
    public void Record(string resource, string key, string? resourceVersion)
    {
        if (string.IsNullOrEmpty(resourceVersion))
        {
            return;
        }
        var versions = pending.GetOrAdd($"{resource}/{key}", _ => new Queue<string>());
        lock (versions)
        {
            if (versions.Count == MaxPendingPerObject)
            {
                versions.Dequeue();
            }
            versions.Enqueue(resourceVersion);
        }
    }

    /// <summary>True (once) when <paramref name="resourceVersion"/> is the result of one of our own writes.</summary>
    public bool IsEcho(string resource, string key, string? resourceVersion)
    {
        if (resourceVersion is null || !pending.TryGetValue($"{resource}/{key}", out var versions))
        {
            return false;
        }
        lock (versions)
        {
            if (!versions.Contains(resourceVersion))
            {
                return false;
            }
            // Drop this echo and any older ones still pending: the watch delivers in resourceVersion order.
            while (versions.TryDequeue(out var v) && v != resourceVersion)
            {
            }
            return true;
        }
    }

    public void Forget(string resource, string key) => pending.TryRemove($"{resource}/{key}", out _);
}
