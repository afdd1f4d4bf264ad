using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Operator.Core.Status;

/// <summary>
/// What this process last wrote to each object (the server's answer to its patch), as client-go's mutation cache
/// keeps it: the informer's copy can lag behind a write of ours, and a patch computed against that older copy would
/// judge a status "unchanged" that the server does not have, or fail a resourceVersion precondition for nothing.
/// Guarantees: <see cref="Newer"/> returns the written object while it is newer than the cached one (a higher
/// resourceVersion, same uid), else null, and forgets it once the cache has caught up; entries not read again are
/// dropped after <see cref="Lifetime"/>, so memory stays bounded by the objects written in that time.
/// ResourceVersions are compared as integers (what kube-apiserver's etcd revisions are); an unparsable one is never
/// taken as newer. Thread-safe.
/// </summary>
internal sealed class OwnWrites(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Written> _written = new(StringComparer.Ordinal);
    private long _lastSweep;

    /// <summary>Remembers the server's answer to a write of <paramref name="key"/>.</summary>
    public void Record(string key, JsonObject answer)
    {
        var metadata = answer["metadata"] as JsonObject;
        if (Version(metadata?["resourceVersion"]?.GetValue<string>()) is not { } rv)
        {
            return;
        }
        var written = new Written(rv, metadata?["uid"]?.GetValue<string>(), answer, time.GetTimestamp());
        _written.AddOrUpdate(key, written, (_, old) => old.ResourceVersion > rv ? old : written);
        Sweep();
    }

    /// <summary>The object as this process last wrote it, when that is newer than <paramref name="cachedVersion"/>; else null.</summary>
    public JsonObject? Newer(string key, string? cachedVersion, string? uid)
    {
        if (!_written.TryGetValue(key, out var written))
        {
            return null;
        }
        if (Version(cachedVersion) is { } cached && written.ResourceVersion > cached && (uid is null || written.Uid is null || written.Uid == uid))
        {
            return written.Object;
        }
        // The cache has caught up (or the object was re-created): the cache is the truth again.
        _written.TryRemove(KeyValuePair.Create(key, written));
        return null;
    }

    public int Count => _written.Count;

    private void Sweep()
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (last != 0 && time.GetElapsedTime(last) < Lifetime || Interlocked.CompareExchange(ref _lastSweep, time.GetTimestamp(), last) != last)
        {
            return;
        }
        foreach (var (key, written) in _written)
        {
            if (time.GetElapsedTime(written.At) > Lifetime)
            {
                _written.TryRemove(KeyValuePair.Create(key, written));
            }
        }
    }

    private static long? Version(string? rv) => long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private sealed record Written(long ResourceVersion, string? Uid, JsonObject Object, long At);
}
