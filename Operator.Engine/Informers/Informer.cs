using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Kubernetes;

namespace Operator.Core.Informers;

/// <summary>
/// A cache of one kind kept in sync with the API server by one <see cref="Reflector{T}"/> per watched namespace (or one
/// for all namespaces), with handlers notified of every change and of a periodic resync that makes no API call.
/// Guarantees: <see cref="HasSynced"/> turns true once every scope has been listed, and never turns back;
/// every object is passed through the transform before it is cached (managedFields and kubectl's
/// last-applied-configuration annotation are always dropped: nothing reads them, and they are most of a cached object's
/// memory), and strings repeated across cached objects are shared instances (<see cref="NewCacheJson"/>) unless
/// <see cref="InformerOptions.SharedStrings"/> is off.
/// Cached objects are therefore never fit to be written back whole (PUT); write with patches.
/// The caller must register handlers and indexes before <see cref="RunAsync"/>, and must treat a faulted
/// <see cref="RunAsync"/> as fatal for the process: a dead informer would silently stop all reconciliation.
/// </summary>
internal sealed class Informer<T> : Operator.Core.Runtime.ISyncingRunnable where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly InformerNotifier<T> _notifier = new();
    private readonly IReadOnlyList<Reflector<T>> _reflectors;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;

    public Informer(
        RawApiClient api, InformerOptions options, TimeProvider time, ILoggerFactory loggers, InformerMetrics metrics,
        Func<T, T>? transform = null)
    {
        _options = options;
        _time = time;
        Resource = ResourceType.Of<T>();
        var logger = loggers.CreateLogger($"Operator.Informer.{Resource.Kind}");
        Func<T, T> cacheTransform = transform is null ? TrimForCache : obj => TrimForCache(transform(obj));
        CacheJson = options.SharedStrings ? NewCacheJson(api.Json) : api.Json.Options;
        IReadOnlyList<string?> scopes = options.Namespaces.Count == 0 ? [null] : [.. options.Namespaces];
        _reflectors = scopes
            .Select(ns => new Reflector<T>(api, Resource, ns, Store, cacheTransform, CacheJson, _notifier, options, time, logger, metrics))
            .ToList();
        metrics.Track(Resource.Plural, () => HasSynced, () => WatchDownFor);
    }

    public ResourceType Resource { get; }
    public string Name => $"informer/{Resource.Plural}";
    public ObjectStore<T> Store { get; } = new();

    /// <summary>What list pages and watch events are read with: <see cref="NewCacheJson"/>'s, or
    /// the process's <see cref="KubeJson.Options"/> when <see cref="InformerOptions.SharedStrings"/> is off.</summary>
    public JsonSerializerOptions CacheJson { get; }
    public bool HasSynced => _reflectors.All(r => r.HasSynced);

    /// <summary>The first scope's reason for not having synced (e.g. a 403 on list); null when synced.</summary>
    public string? SyncError => _reflectors.Select(r => r.SyncError).FirstOrDefault(e => e is not null);

    /// <summary>How long the longest-failing scope has been without a watch (zero while every scope watches).</summary>
    public TimeSpan WatchDownFor => _reflectors.Max(r => r.DownFor);

    /// <summary>The last resourceVersion each scope has seen (for diagnostics and tests).</summary>
    public IReadOnlyList<string?> LastResourceVersions => [.. _reflectors.Select(r => r.LastResourceVersion)];

    public void AddHandler(IInformerHandler<T> handler) => _notifier.Register(handler);

    /// <summary>The handlers notified of changes, in registration order (for diagnostics and tests).</summary>
    public IReadOnlyList<IInformerHandler<T>> Handlers => _notifier.Handlers;

    /// <summary>Runs until cancelled. Faults only on an unexpected error, which the host must treat as fatal.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var tasks = _reflectors.Select(r => r.RunAsync(ct)).ToList();
        if (_options.ResyncPeriod > TimeSpan.Zero)
        {
            tasks.Add(ResyncLoopAsync(ct));
        }
        // The first fault wins: do not wait for the healthy scopes to be cancelled before reporting it.
        var first = await Task.WhenAny(tasks).ConfigureAwait(false);
        await first.ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Waits until <see cref="HasSynced"/>; false when cancelled first.</summary>
    public async Task<bool> WaitForSyncAsync(CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(_reflectors.Select(r => r.Synced)).WaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ResyncLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ResyncPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (!HasSynced)
                {
                    continue;
                }
                foreach (var obj in Store.List())
                {
                    _notifier.Update(obj, obj);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Strings one informer's pool holds: far more than the distinct values that repeat across objects of one
    /// kind (keys, kinds, reasons, tag values), a few hundred KB at most.</summary>
    public const int StringPoolSize = 4096;

    /// <summary>How an informer reads what it caches: <paramref name="json"/>'s options with every string read through a
    /// pool of its own (<see cref="PooledStringConverter"/>), so that values repeated across cached objects are one
    /// instance (the scale benchmark's cache figure is measured with it).</summary>
    public static JsonSerializerOptions NewCacheJson(KubeJson json) =>
        json.WithStringPool(new StringPool(StringPoolSize));

    /// <summary>The annotation <c>kubectl apply</c> writes: a second, full copy of the applied object as JSON.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    internal static T TrimForCache(T obj)
    {
        // managedFields are often larger than the object itself and no reconciler reads them; the last-applied
        // annotation repeats the spec as a string (the scale benchmark measured ~0.8 KB of heap per ECSCluster for it).
        obj.Metadata.ManagedFields = null;
        if (obj.Metadata.Annotations is { } annotations && annotations.Remove(LastAppliedAnnotation) && annotations.Count == 0)
        {
            obj.Metadata.Annotations = null;
        }
        return obj;
    }
}
