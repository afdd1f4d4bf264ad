using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Operator.Core.Status;

/// <summary>
/// What this process last wrote to each object (the server's answer to its patch), as client-go's mutation cache
/// keeps it: the informer's copy can lag behind a write of ours, and a patch computed against that older copy would
/// judge a status "unchanged" that the server does not have, or fail a resourceVersion precondition for nothing.
/// Guarantees: <see cref="Newer"/> returns the written object while it is newer than the cached one (a higher
/// resourceVersion, same uid), else null, and forgets it once the cache has caught up; <see cref="Observed"/> (the
/// informer's handler, <see cref="OwnWritesHandler{T}"/>) forgets it as soon as the cache holds that version, so an
/// entry normally lives for the watch's delay only; entries never caught up with are dropped by a sweep that a later
/// write runs at most once per <see cref="Lifetime"/>, so they live between one and two lifetimes. Only the status and the metadata a patch reads (resourceVersion, uid, finalizers,
/// annotations) are kept, not the whole object.
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
        var kept = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = metadata!["resourceVersion"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["finalizers"] = metadata["finalizers"]?.DeepClone(),
                ["annotations"] = metadata["annotations"]?.DeepClone(),
            },
            ["status"] = answer["status"]?.DeepClone(),
        };
        var written = new Written(rv, metadata["uid"]?.GetValue<string>(), kept, time.GetTimestamp());
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

    /// <summary>The cache now holds <paramref name="resourceVersion"/> of <paramref name="key"/>: an older or equal write is
    /// forgotten (the cache is the truth again).</summary>
    public void Observed(string key, string? resourceVersion)
    {
        if (_written.TryGetValue(key, out var written) && Version(resourceVersion) is { } seen && seen >= written.ResourceVersion)
        {
            _written.TryRemove(KeyValuePair.Create(key, written));
        }
    }

    /// <summary>The object is gone: nothing written to it matters any more.</summary>
    public void Forget(string key) => _written.TryRemove(key, out _);

    public int Count => _written.Count;

    /// <summary>The key of an object in this cache (kind, namespace, name).</summary>
    public static string KeyOf(k8s.IKubernetesObject<k8s.Models.V1ObjectMeta> obj) =>
        $"{obj.Kind}/{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

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

/// <summary>
/// Keeps <see cref="OwnWrites"/> small: as the informer's cache receives each version of an object, what this process
/// wrote before it is forgotten. Registered on the informers of the kinds <see cref="ObjectPatcher"/> writes.
/// </summary>
internal sealed class OwnWritesHandler<T>(OwnWrites ownWrites) : Informers.IInformerHandler<T>
    where T : class, k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>
{
    public void OnAdd(T obj) => ownWrites.Observed(OwnWrites.KeyOf(obj), obj.Metadata.ResourceVersion);

    public void OnUpdate(T oldObj, T newObj) => ownWrites.Observed(OwnWrites.KeyOf(newObj), newObj.Metadata.ResourceVersion);

    public void OnDelete(T obj) => ownWrites.Forget(OwnWrites.KeyOf(obj));
}
