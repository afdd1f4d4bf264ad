using Microsoft.AspNetCore.Http;

namespace Operator.Testing.Kubernetes;

/// <summary>The watch verb: newline-delimited {"type","object"} JSON, flushed per event.</summary>
internal sealed partial class ApiRequestHandler
{
    private readonly List<(WatchSubscription Sub, HttpContext Ctx)> _openWatches = [];

    /// <summary>Ends every open watch; with <paramref name="abort"/> the TCP connection is reset instead.</summary>
    public void DropWatches(bool abort)
    {
        lock (_store.Gate)
        {
            foreach (var (sub, _) in _openWatches)
            {
                sub.AbortConnection = abort;
                sub.Dropped.Cancel();
            }
        }
    }

    public int OpenWatchCount
    {
        get
        {
            lock (_store.Gate)
            {
                return _openWatches.Count;
            }
        }
    }

    public void Compact()
    {
        lock (_store.Gate)
        {
            _objects.Compact();
        }
    }

    private async Task<int> WatchAsync(HttpContext ctx, ResourceType type, RequestInfo info)
    {
        var metadataOnly = WantsMetadataOnly(ctx, info.Verb); // a 406 before anything is subscribed
        var query = ctx.Request.Query;
        var rvParam = (string?)query["resourceVersion"] ?? "";
        var sendInitial = query["sendInitialEvents"] == "true";
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        long? fromRv = null;
        if (!sendInitial && rvParam is not ("" or "0"))
        {
            fromRv = long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw KubeStatus.BadRequest($"invalid resource version: {rvParam}");
        }

        var fields = query["fieldSelector"].ToString();
        if (info.Name is not null)
        {
            fields = string.IsNullOrEmpty(fields) ? $"metadata.name={info.Name}" : $"{fields},metadata.name={info.Name}";
        }

        var sub = new WatchSubscription
        {
            Type = type,
            Namespace = info.Namespace,
            Labels = LabelSelector.Parse(query["labelSelector"]),
            Fields = FieldSelector.Parse(fields),
        };

        JsonObject? expired = null;
        lock (_store.Gate)
        {
            try
            {
                if (fromRv > _store.CurrentRv)
                {
                    throw KubeStatus.TooLargeResourceVersion(fromRv.Value, _store.CurrentRv);
                }

                _store.Subscribe(sub, fromRv);
                if (sendInitial && bookmarks)
                {
                    _store.Bookmark(sub, new JsonObject { ["k8s.io/initial-events-end"] = "true" });
                }

                _openWatches.Add((sub, ctx));
            }
            catch (KubeApiException e) when (e.Code == 410 && !_options.ExpiredWatchAsHttpStatus)
            {
                expired = e.Status;
            }
        }

        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(ctx.RequestAborted).ConfigureAwait(false);
        LogStarted(ctx, info, 200);
        if (expired is not null)
        {
            await WriteEventAsync(ctx, new WatchEnvelope("ERROR", expired), false, type).ConfigureAwait(false);
            return 200;
        }

        await response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);

        var timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(30);
        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping, sub.Dropped.Token, timeoutCts.Token);
        var bookmarkLoop = bookmarks ? BookmarkLoopAsync(sub, linked.Token) : Task.CompletedTask;
        var table = WantsTable(ctx);
        var first = true;
        try
        {
            await foreach (var ev in sub.Events.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
            {
                if (ev.NotBefore is { IsCompleted: false } hold)
                {
                    await Task.WhenAny(hold, Task.Delay(WatchOrdering.MaxHold, linked.Token)).ConfigureAwait(false);
                    linked.Token.ThrowIfCancellationRequested();
                }

                await WriteEventAsync(ctx, ev, table && first, type, table, metadataOnly).ConfigureAwait(false);
                ev.Sent?.TrySetResult();
                first = false;
            }
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !ctx.RequestAborted.IsCancellationRequested && !_stopping.IsCancellationRequested && !sub.Dropped.IsCancellationRequested)
        {
            // Timed out normally: flush what is queued, then a final bookmark so the client resumes exactly here.
            lock (_store.Gate)
            {
                Unsubscribe(sub);
                if (bookmarks)
                {
                    _store.Bookmark(sub);
                }

                sub.Events.Writer.TryComplete();
            }

            while (sub.Events.Reader.TryRead(out var ev))
            {
                await WriteEventAsync(ctx, ev, table && first, type, table, metadataOnly).ConfigureAwait(false);
                ev.Sent?.TrySetResult();
                first = false;
            }
        }
        catch (OperationCanceledException) when (sub.Dropped.IsCancellationRequested && sub.AbortConnection)
        {
            ctx.Abort();
        }
        catch (OperationCanceledException) when (sub.Dropped.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The stream simply ends, as when the apiserver closes a watch.
        }
        finally
        {
            lock (_store.Gate)
            {
                Unsubscribe(sub);
            }

            await bookmarkLoop.ConfigureAwait(false);
        }

        return 200;
    }

    private void Unsubscribe(WatchSubscription sub)
    {
        _store.Unsubscribe(sub);
        _openWatches.RemoveAll(w => ReferenceEquals(w.Sub, sub));
    }

    private async Task BookmarkLoopAsync(WatchSubscription sub, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.BookmarkInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                lock (_store.Gate)
                {
                    _store.Bookmark(sub);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    private async Task WriteEventAsync(HttpContext ctx, WatchEnvelope ev, bool includeColumns, ResourceType type, bool asTable = false,
        bool metadataOnly = false)
    {
        JsonNode obj = ev.Object;
        if (asTable && ev.Type is "ADDED" or "MODIFIED" or "DELETED")
        {
            obj = TableConverter.Convert(type, [ev.Object], ev.Object["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", null, includeColumns, IncludeFullObject(ctx), Now);
        }
        else if (metadataOnly && ev.Type is "ADDED" or "MODIFIED" or "DELETED" or "BOOKMARK")
        {
            obj = PartialObjectMetadata(ev.Object);
        }

        var line = new JsonObject { ["type"] = ev.Type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";
        await ctx.Response.WriteAsync(line, ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }
}
