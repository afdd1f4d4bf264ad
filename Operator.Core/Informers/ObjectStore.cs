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
    private readonly Lock gate = new();
    private readonly Dictionary<string, T> items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> indexes = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (gate) { return items.Count; } }
    }

    /// <summary>Adds an index; must be called before the informer starts.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> indexer)
    {
        lock (gate)
        {
            if (items.Count > 0)
            {
                throw new InvalidOperationException("indexes must be added before the store holds objects");
            }
            indexers.Add(name, indexer);
            indexes.Add(name, new Dictionary<string, HashSet<string>>(StringComparer.Ordinal));
        }
    }

    public T? Get(string key)
    {
        lock (gate)
        {
            return items.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<T> List()
    {
        lock (gate)
        {
            return [.. items.Values];
        }
    }

    public IReadOnlyList<string> Keys()
    {
        lock (gate)
        {
            return [.. items.Keys];
        }
    }

    /// <summary>The objects whose indexer yielded <paramref name="value"/> for index <paramref name="indexName"/>.</summary>
    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (gate)
        {
            return indexes[indexName].TryGetValue(value, out var keys)
                ? [.. keys.Select(k => items[k])]
                : [];
        }
    }

    /// <summary>Stores <paramref name="obj"/>; returns the object it replaced, if any.</summary>
    public T? Upsert(T obj)
    {
        var key = ObjectKey.Of(obj);
        lock (gate)
        {
            items.TryGetValue(key, out var old);
            if (old is not null)
            {
                Unindex(key, old);
            }
            items[key] = obj;
            Index(key, obj);
            return old;
        }
    }

    /// <summary>Removes the object under <paramref name="key"/>; returns it, or null when it was not cached.</summary>
    public T? Remove(string key)
    {
        lock (gate)
        {
            if (!items.Remove(key, out var old))
            {
                return null;
            }
            Unindex(key, old);
            return old;
        }
    }

    /// <summary>
    /// Replaces every object in scope (one namespace, or all when null) with a fresh list, and returns what changed,
    /// so that deletions missed while a watch was down are still reported.
    /// </summary>
    public ReplaceResult<T> Replace(string? scopeNamespace, IReadOnlyCollection<T> fresh)
    {
        var added = new List<T>();
        var updated = new List<(T Old, T New)>();
        var deleted = new List<T>();
        lock (gate)
        {
            var freshKeys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var obj in fresh)
            {
                var key = ObjectKey.Of(obj);
                freshKeys.Add(key);
                if (items.TryGetValue(key, out var old))
                {
                    Unindex(key, old);
                    updated.Add((old, obj));
                }
                else
                {
                    added.Add(obj);
                }
                items[key] = obj;
                Index(key, obj);
            }
            var vanished = items
                .Where(kv => !freshKeys.Contains(kv.Key) && InScope(kv.Value, scopeNamespace))
                .Select(kv => kv.Key)
                .ToList();
            foreach (var key in vanished)
            {
                items.Remove(key, out var old);
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
        foreach (var (name, indexer) in indexers)
        {
            var index = indexes[name];
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
        foreach (var (name, indexer) in indexers)
        {
            var index = indexes[name];
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
