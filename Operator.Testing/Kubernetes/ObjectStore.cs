namespace Operator.Testing.Kubernetes;

/// <summary>
/// The emulator's "etcd": every object of every resource, one monotonic resourceVersion counter, a bounded event
/// history for watch resumption, and the open watches. Callers hold <see cref="Gate"/> around a whole
/// read-modify-write. Committed objects are never mutated afterwards (callers clone first), so history entries
/// and list snapshots can share them.
/// </summary>
internal sealed class ObjectStore(int historyLimit)
{
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly List<HistoryEvent> _history = [];
    private readonly List<WatchSubscription> _watchers = [];

    public Lock Gate { get; } = new();

    public long CurrentRv { get; private set; }

    /// <summary>Events with resourceVersion ≤ this are gone; a watch must start at or after it.</summary>
    public long CompactedRv { get; private set; }

    /// <summary>Converts a stored object to what a given resource type serves (apiVersion, event shape).</summary>
    public required Func<ResourceType, JsonObject, JsonObject> Convert { get; init; }

    public static string Key(string? ns, string name) => $"{ns}/{name}";

    public JsonObject? Get(string storageKey, string? ns, string name) =>
        _objects.TryGetValue(storageKey, out var map) && map.TryGetValue(Key(ns, name), out var obj) ? obj : null;

    public IEnumerable<JsonObject> List(string storageKey, string? ns)
    {
        if (!_objects.TryGetValue(storageKey, out var map))
        {
            return [];
        }

        return ns is null ? map.Values : map.Where(kv => kv.Key.StartsWith(ns + "/", StringComparison.Ordinal)).Select(kv => kv.Value);
    }

    public bool AnyInNamespace(string ns) =>
        _objects.Values.Any(map => map.Keys.Any(k => k.StartsWith(ns + "/", StringComparison.Ordinal)));

    public IEnumerable<string> StorageKeys => _objects.Keys.ToList();

    /// <summary>Stores (or, for DELETED, removes) the object with the next resourceVersion and notifies watchers.</summary>
    public long Commit(string storageKey, string type, JsonObject obj, JsonObject? previous)
    {
        var rv = ++CurrentRv;
        var meta = obj["metadata"] as JsonObject ?? throw new InvalidOperationException("object without metadata");
        meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ns = meta["namespace"]?.GetValue<string>();
        var name = meta["name"]!.GetValue<string>();
        if (!_objects.TryGetValue(storageKey, out var map))
        {
            map = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _objects[storageKey] = map;
        }

        if (type == "DELETED")
        {
            map.Remove(Key(ns, name));
        }
        else
        {
            map[Key(ns, name)] = obj;
        }

        var ev = new HistoryEvent(rv, storageKey, type, obj, previous);
        _history.Add(ev);
        if (_history.Count > historyLimit)
        {
            var drop = _history.Count - historyLimit;
            CompactedRv = _history[drop - 1].Rv;
            _history.RemoveRange(0, drop);
        }

        foreach (var w in _watchers)
        {
            Deliver(w, ev);
        }

        return rv;
    }

    /// <summary>
    /// Puts a saved object back as it was (its resourceVersion included), without an event: for restoring a saved
    /// state before any client connects. <paramref name="resourceVersion"/> becomes the current one if it is higher, and
    /// history starts after it, so a watch from an older version gets 410 Expired.
    /// </summary>
    public void Restore(string storageKey, JsonObject obj, long resourceVersion)
    {
        var meta = obj["metadata"] as JsonObject ?? throw new InvalidOperationException("object without metadata");
        if (!_objects.TryGetValue(storageKey, out var map))
        {
            _objects[storageKey] = map = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        }
        map[Key(meta["namespace"]?.GetValue<string>(), meta["name"]!.GetValue<string>())] = obj;
        CurrentRv = Math.Max(CurrentRv, resourceVersion);
        _history.Clear();
        CompactedRv = CurrentRv;
    }

    /// <summary>Forgets all history: a watch or exact list from any earlier resourceVersion now gets 410 Expired.</summary>
    public void Compact()
    {
        _history.Clear();
        CompactedRv = CurrentRv;
    }

    /// <summary>
    /// Registers a watch. <paramref name="fromRv"/> null means "current state first" (synthetic ADDED for every
    /// matching object); otherwise history after that version is replayed. Both happen under the lock, so nothing
    /// committed concurrently is lost or duplicated.
    /// </summary>
    public void Subscribe(WatchSubscription w, long? fromRv)
    {
        if (fromRv is null)
        {
            foreach (var obj in List(w.Type.StorageKey, w.Namespace))
            {
                var converted = Convert(w.Type, obj);
                if (w.Matches(converted))
                {
                    w.Events.Writer.TryWrite(new WatchEnvelope("ADDED", converted));
                }
            }
        }
        else
        {
            if (fromRv < CompactedRv)
            {
                throw KubeStatus.Expired($"too old resource version: {fromRv} ({CompactedRv + 1})");
            }

            foreach (var ev in _history)
            {
                if (ev.Rv > fromRv && ev.StorageKey == w.Type.StorageKey)
                {
                    Deliver(w, ev);
                }
            }
        }

        _watchers.Add(w);
    }

    public void Unsubscribe(WatchSubscription w) => _watchers.Remove(w);

    public IReadOnlyList<WatchSubscription> Watchers => _watchers.ToList();

    /// <summary>A BOOKMARK at the current resourceVersion: every earlier event is already queued ahead of it.</summary>
    public void Bookmark(WatchSubscription w, JsonObject? annotations = null)
    {
        var meta = new JsonObject { ["resourceVersion"] = CurrentRv.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (annotations is not null)
        {
            meta["annotations"] = annotations;
        }

        w.Events.Writer.TryWrite(new WatchEnvelope("BOOKMARK", new JsonObject
        {
            ["kind"] = w.Type.Kind,
            ["apiVersion"] = w.Type.ApiVersion,
            ["metadata"] = meta,
        }));
    }

    /// <summary>
    /// Selector-aware delivery like the watch cache: an update that makes an object start matching is ADDED, one that
    /// makes it stop matching is DELETED.
    /// </summary>
    private void Deliver(WatchSubscription w, HistoryEvent ev)
    {
        if (ev.StorageKey != w.Type.StorageKey)
        {
            return;
        }

        var converted = Convert(w.Type, ev.Object);
        var now = w.Matches(converted);
        string? type = ev.Type;
        if (ev.Type == "MODIFIED")
        {
            var before = ev.Previous is not null && w.Matches(Convert(w.Type, ev.Previous));
            type = (before, now) switch
            {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                _ => null,
            };
        }
        else if (!now)
        {
            type = null;
        }

        if (type is not null)
        {
            var envelope = new WatchEnvelope(type, converted);
            w.Events.Writer.TryWrite(WatchOrdering.InFlight?.Attach(envelope) ?? envelope);
        }
    }

    private sealed record HistoryEvent(long Rv, string StorageKey, string Type, JsonObject Object, JsonObject? Previous);
}
