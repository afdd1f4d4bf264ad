using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Operator.Core.Kubernetes;

namespace Operator.Core.Informers;

/// <summary>
/// Keeps an <see cref="ObjectStore{T}"/> equal to the server for one scope (a namespace, or all), as client-go's
/// reflector does: paged LIST, then WATCH from the list's resourceVersion with bookmarks and a randomised time-out;
/// every event (bookmarks included) advances the last resourceVersion; a watch that closes is reopened from it with no
/// relist; 410/Expired relists with RV "" and reports deletions of keys that vanished, and only what changed: an object
/// that comes back with the resourceVersion the cache holds is no event at all (an API server restart expires every
/// watch, and its relist returns every object unchanged); 429, 5xx, 401/403 once synced (an API server that has just
/// started and not yet loaded its authorizer) and connection failures back off (<see cref="WatchBackoff"/>, reset by
/// every list or watch that works) and re-watch without relisting. <see cref="DownFor"/> says how long the watch has
/// been failing, for readiness. Lists and watches ask for what the resource type says
/// (<see cref="ResourceType.MetadataOnly"/>: PartialObjectMetadata only).
/// <see cref="RunAsync"/> ends only by cancellation or by an unexpected exception (a bug): the owner must treat the
/// latter as fatal, never as a quiet stop.
/// </summary>
internal sealed class Reflector<T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan ShortWatch = TimeSpan.FromSeconds(1);

    private readonly RawApiClient _api;
    private readonly ResourceType _resource;
    private readonly string? _scopeNamespace;
    private readonly ObjectStore<T> _store;
    private readonly Func<T, T> _transform;
    private readonly JsonTypeInfo<T> _json;
    private readonly JsonSerializerOptions _jsonOptions;
    private readonly InformerNotifier<T> _notify;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WatchBackoff _backoff;
    private readonly InformerMetrics _metrics;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Reflector(
        RawApiClient api, ResourceType resource, string? scopeNamespace, ObjectStore<T> store, Func<T, T> transform,
        JsonSerializerOptions json, InformerNotifier<T> notify, InformerOptions options, TimeProvider time,
        ILogger logger, InformerMetrics metrics)
    {
        _api = api;
        _resource = resource;
        _scopeNamespace = scopeNamespace;
        _store = store;
        _transform = transform;
        _jsonOptions = json;
        _json = KubeJson.TypeInfo<T>(json);
        _notify = notify;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _backoff = new WatchBackoff(time);
    }

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Completes when the first list has been applied to the store.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Why the first list has not succeeded yet; null once synced or before the first attempt.</summary>
    public string? SyncError { get; private set; }

    /// <summary>The last resourceVersion seen, for tests and diagnostics.</summary>
    public string? LastResourceVersion { get; private set; }

    /// <summary>How long lists and watches have been failing with no watch open; zero while watching.</summary>
    public TimeSpan DownFor => _watching ? TimeSpan.Zero : _backoff.FailingFor;

    private volatile bool _watching;

    public async Task RunAsync(CancellationToken ct)
    {
        var path = _resource.CollectionPath(_scopeNamespace);
        string? rv = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (rv is null)
                {
                    rv = await ListAndReplaceAsync(path, ct).ConfigureAwait(false);
                    if (SyncError is not null)
                    {
                        _logger.LogInformation("{Resource} listed after earlier failures; informer synced", _resource.Plural);
                    }
                    SyncError = null;
                    _backoff.Succeeded();
                    _synced.TrySetResult();
                }
                rv = await WatchAsync(path, rv, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException e) when (e.IsExpired)
            {
                _logger.LogInformation("{Resource} watch from resourceVersion {ResourceVersion} expired; relisting", _resource.Plural, rv);
                _metrics.Relists.Add(1, new KeyValuePair<string, object?>("resource", _resource.Plural));
                rv = null;
            }
            catch (KubernetesApiException e) when (rv is null && !HasSynced && e.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
            {
                // Denied by RBAC, or the CRD is not installed: nothing that reads this kind may start. Say so loudly.
                var delay = _backoff.NextDelay(WatchBackoff.Failure.Refused);
                SyncError = $"list {(int)e.StatusCode} {e.Status?.Reason ?? e.StatusCode.ToString()}: {e.Status?.Message}";
                _logger.LogError("Cannot list {Resource} ({Error}): {Hint}. The controllers that read {Resource} stay stopped until it can; retrying in {Delay}",
                    _resource.Plural, SyncError,
                    e.StatusCode == System.Net.HttpStatusCode.Forbidden
                        ? "the operator's ServiceAccount lacks RBAC permission to list and watch it"
                        : "the resource is not served (is its CRD installed?)",
                    _resource.Plural, delay);
                _metrics.Failures.Add(1, new KeyValuePair<string, object?>("resource", _resource.Plural));
                _metrics.ListDenied.Add(1, new KeyValuePair<string, object?>("resource", _resource.Plural), new("code", ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException or JsonException or ShortWatchException
                || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                var delay = _backoff.NextDelay(
                    e is KubernetesApiException or ShortWatchException or JsonException ? WatchBackoff.Failure.Refused : WatchBackoff.Failure.Unreachable,
                    e is KubernetesApiException { RetryAfter: { } hint } && int.TryParse(hint, out var seconds) ? TimeSpan.FromSeconds(seconds) : null);
                if (rv is null && !HasSynced)
                {
                    SyncError = $"list failed: {e.Message}";
                }
                var level = ApiErrors.IsTransient(e, ct) || (HasSynced && ApiErrors.IsAuthorization(e)) || e is ShortWatchException or OperationCanceledException
                    ? LogLevel.Warning : LogLevel.Error;
                _logger.Log(level, "{Resource} {Phase} failed ({Error}); retrying in {Delay}",
                    _resource.Plural, rv is null ? "list" : "watch", Text.ExceptionText.SafeMessage(e.Message), delay);
                _metrics.Failures.Add(1, new KeyValuePair<string, object?>("resource", _resource.Plural));
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> ListAndReplaceAsync(string path, CancellationToken ct)
    {
        var fresh = new List<T>();
        string? continueToken = null;
        string? listRv;
        do
        {
            var page = await _api.ListAsync<T>(path, _options.PageSize, continueToken, _options.LabelSelector, ct, _jsonOptions, _resource.ListAccept)
                .ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                // Items of a LIST carry no apiVersion/kind for built-in kinds; fill them so handlers see whole objects.
                item.ApiVersion ??= _resource.ApiVersion;
                item.Kind ??= _resource.Kind;
                fresh.Add(_transform(item));
            }
            continueToken = page.Metadata?.ContinueProperty;
            listRv = page.Metadata?.ResourceVersion;
        }
        while (!string.IsNullOrEmpty(continueToken));

        var changes = _store.Replace(_scopeNamespace, fresh);
        foreach (var obj in changes.Added)
        {
            _notify.Add(obj);
        }
        foreach (var (oldObj, newObj) in changes.Updated)
        {
            _notify.Update(oldObj, newObj);
        }
        foreach (var obj in changes.Deleted)
        {
            _notify.Delete(obj);
        }
        LastResourceVersion = listRv ?? "";
        return LastResourceVersion;
    }

    /// <summary>Runs one watch to its end; returns the resourceVersion to resume from.</summary>
    private async Task<string> WatchAsync(string path, string rv, CancellationToken ct)
    {
        var min = _options.MinWatchTimeout.TotalSeconds;
        var timeoutSeconds = (int)(min + (Random.Shared.NextDouble() * min));
        var started = _time.GetTimestamp();
        var events = 0;
        using (var response = await _api.WatchAsync(path, rv, timeoutSeconds, _options.LabelSelector, ct, _resource.WatchAccept).ConfigureAwait(false))
        {
            _watching = true;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                using var reader = new StreamReader(body);
                while (true)
                {
                    string? line;
                    try
                    {
                        line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                    }
                    catch (IOException) when (!ct.IsCancellationRequested)
                    {
                        // A connection cut mid-stream ends the watch like a normal close: resume from the last RV.
                        break;
                    }
                    if (line is null)
                    {
                        break;
                    }
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    if (events++ == 0)
                    {
                        _backoff.Succeeded();
                    }
                    rv = Apply(line) ?? rv;
                    LastResourceVersion = rv;
                }
            }
            finally
            {
                _watching = false;
            }
        }
        if (events == 0 && _time.GetElapsedTime(started) < ShortWatch)
        {
            // A server that closes watches at once would otherwise be hammered in a tight loop.
            throw new ShortWatchException();
        }
        _backoff.Succeeded();
        return rv;
    }

    /// <summary>Applies one watch event to the cache; returns its resourceVersion.</summary>
    private string? Apply(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var type = doc.RootElement.GetProperty("type").GetString();
        var element = doc.RootElement.GetProperty("object");
        switch (type)
        {
            case "ADDED" or "MODIFIED":
            {
                var obj = _transform(element.Deserialize(_json)!);
                var old = _store.Upsert(obj);
                if (old is null)
                {
                    _notify.Add(obj);
                }
                else
                {
                    _notify.Update(old, obj);
                }
                return obj.Metadata.ResourceVersion;
            }
            case "DELETED":
            {
                var obj = _transform(element.Deserialize(_json)!);
                _store.Remove(ObjectKey.Of(obj));
                _notify.Delete(obj);
                return obj.Metadata.ResourceVersion;
            }
            case "BOOKMARK":
                return element.GetProperty("metadata").GetProperty("resourceVersion").GetString();
            case "ERROR":
                var status = KubeJson.Engine.Deserialize<V1Status>(element);
                throw new KubernetesApiException((System.Net.HttpStatusCode)(status.Code ?? 500), status);
            default:
                throw new JsonException($"unknown watch event type '{type}'");
        }
    }

    private sealed class ShortWatchException() : Exception("the watch closed at once with no event");
}
