using k8s;
using k8s.Models;
using Operator.Core.Kubernetes;

namespace Operator.Core.Informers;

/// <summary>
/// The informer's cache: objects keyed "namespace/name" plus named secondary indexes (e.g. ECSClusters by provider).
/// Thread-safe: reads never block writers for long; every method sees a consistent object-and-index state.
/// Objects handed out are the cached instances: callers must treat them as read-only.
/// </summary>
internal sealed class ObjectStore<T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_gate) { return _items.Count; } }
    }

    /// <summary>Adds an index; must be called before the informer starts.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> indexer)
    {
        lock (_gate)
        {
            if (_items.Count > 0)
            {
                throw new InvalidOperationException("indexes must be added before the store holds objects");
            }
            _indexers.Add(name, indexer);
            _indexes.Add(name, new Dictionary<string, HashSet<string>>(StringComparer.Ordinal));
        }
    }

    public T? Get(string key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<T> List()
    {
        lock (_gate)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<string> Keys()
    {
        lock (_gate)
        {
            return [.. _items.Keys];
        }
    }

    /// <summary>The objects whose indexer yielded <paramref name="value"/> for index <paramref name="indexName"/>.</summary>
    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_gate)
        {
            return _indexes[indexName].TryGetValue(value, out var keys)
                ? [.. keys.Select(k => _items[k])]
                : [];
        }
    }

    /// <summary>Stores <paramref name="obj"/>; returns the object it replaced, if any.</summary>
    public T? Upsert(T obj)
    {
        var key = ObjectKey.Of(obj);
        lock (_gate)
        {
            _items.TryGetValue(key, out var old);
            if (old is not null)
            {
                Unindex(key, old);
            }
            _items[key] = obj;
            Index(key, obj);
            return old;
        }
    }

    /// <summary>Removes the object under <paramref name="key"/>; returns it, or null when it was not cached.</summary>
    public T? Remove(string key)
    {
        lock (_gate)
        {
            if (!_items.Remove(key, out var old))
            {
                return null;
            }
            Unindex(key, old);
            return old;
        }
    }

    /// <summary>
    /// Replaces every object in scope (one namespace, or all when null) with a fresh list, and returns what changed,
    /// so that deletions missed while a watch was down are still reported. An object whose resourceVersion is the one
    /// cached is unchanged (the server gives every write a new one): it keeps its cached instance and is not reported,
    /// so a relist after an API server restart, which returns every object again, is no change at all.
    /// </summary>
    public ReplaceResult<T> Replace(string? scopeNamespace, IReadOnlyCollection<T> fresh)
    {
        var added = new List<T>();
        var updated = new List<(T Old, T New)>();
        var deleted = new List<T>();
        lock (_gate)
        {
            var freshKeys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var obj in fresh)
            {
                var key = ObjectKey.Of(obj);
                freshKeys.Add(key);
                if (_items.TryGetValue(key, out var old))
                {
                    if (old.Metadata.ResourceVersion == obj.Metadata.ResourceVersion && !string.IsNullOrEmpty(obj.Metadata.ResourceVersion))
                    {
                        continue;
                    }
                    Unindex(key, old);
                    updated.Add((old, obj));
                }
                else
                {
                    added.Add(obj);
                }
                _items[key] = obj;
                Index(key, obj);
            }
            var vanished = _items
                .Where(kv => !freshKeys.Contains(kv.Key) && InScope(kv.Value, scopeNamespace))
                .Select(kv => kv.Key)
                .ToList();
            foreach (var key in vanished)
            {
                _items.Remove(key, out var old);
                Unindex(key, old!);
                deleted.Add(old!);
            }
        }
        return new ReplaceResult<T>(added, updated, deleted);
    }

    private static bool InScope(T obj, string? scopeNamespace) =>
        scopeNamespace is null || obj.Metadata.NamespaceProperty == scopeNamespace;

    private void Index(string key, T obj)
    {
        foreach (var (name, indexer) in _indexers)
        {
            var index = _indexes[name];
            foreach (var value in indexer(obj))
            {
                if (!index.TryGetValue(value, out var keys))
                {
                    index[value] = keys = new HashSet<string>(StringComparer.Ordinal);
                }
                keys.Add(key);
            }
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach (var (name, indexer) in _indexers)
        {
            var index = _indexes[name];
            foreach (var value in indexer(obj))
            {
                if (index.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    index.Remove(value);
                }
            }
        }
    }
}

/// <summary>What a relist changed in the cache.</summary>
internal sealed record ReplaceResult<T>(IReadOnlyList<T> Added, IReadOnlyList<(T Old, T New)> Updated, IReadOnlyList<T> Deleted);
