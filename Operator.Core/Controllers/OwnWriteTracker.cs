using System.Collections.Concurrent;

namespace Operator.Core.Controllers;

/// <summary>
/// Remembers the resourceVersion each of our own writes produced, per object key, so the watch event that echoes the
/// write can be recognised and dropped instead of triggering another reconcile. Only the latest write per key is
/// kept (an earlier echo still arriving costs one extra, harmless reconcile); an echo is consumed once. Writes whose effect a reconcile must see (none today) must not be recorded.
/// </summary>
internal sealed class OwnWriteTracker
{
    private readonly ConcurrentDictionary<string, string> written = new(StringComparer.Ordinal);

    /// <param name="resource">The plural of the kind: keys of different kinds must not collide.</param>
    public void Record(string resource, string key, string? resourceVersion)
    {
        if (!string.IsNullOrEmpty(resourceVersion))
        {
            written[$"{resource}/{key}"] = resourceVersion;
        }
    }

    /// <summary>True (once) when <paramref name="resourceVersion"/> is the result of our own last write of the key.</summary>
    public bool IsEcho(string resource, string key, string? resourceVersion) =>
        resourceVersion is not null && written.TryRemove(new KeyValuePair<string, string>($"{resource}/{key}", resourceVersion));

    public void Forget(string resource, string key) => written.TryRemove($"{resource}/{key}", out _);
}
