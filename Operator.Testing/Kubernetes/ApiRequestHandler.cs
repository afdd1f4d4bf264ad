using Microsoft.AspNetCore.Http;

using Operator.Testing.Yaml;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// The HTTP layer of the emulator, as kube-apiserver's handler chain and endpoint handlers: parses each request
/// (<see cref="RequestInfo"/>), applies fault injection, serves discovery and OpenAPI, decodes bodies and patches,
/// and hands each resource verb to <see cref="RegistryStore"/> (whose per-kind rules are the types'
/// <see cref="ResourceStrategy"/>), then writes the answer, or streams a watch from <see cref="ObjectStore"/>.
/// Contract: each read-modify-write runs entirely under the store's lock, which is what makes resourceVersions,
/// conflicts and watch order exact; nothing here knows a particular kind.
/// </summary>
internal sealed partial class ApiRequestHandler
{
    private readonly ObjectStore _store;
    private readonly RegistryStore _objects;
    private readonly ResourceRegistry _registry;
    private readonly KubeApiEmulatorOptions _options;
    private readonly FaultInjector _faults;
    private readonly RequestLog _log;
    private readonly CancellationToken _stopping;
    private readonly WatchOrdering _ordering;

    public ApiRequestHandler(ObjectStore store, RegistryStore objects, ResourceRegistry registry, KubeApiEmulatorOptions options, FaultInjector faults, RequestLog log, CancellationToken stopping, Authorization.TokenAuthenticator tokens, ServerLifecycle lifecycle)
    {
        _tokens = tokens;
        _lifecycle = lifecycle;
        _store = store;
        _objects = objects;
        _registry = registry;
        _options = options;
        _faults = faults;
        _log = log;
        _stopping = stopping;
        _ordering = new WatchOrdering(options.WatchEventOrder, options.WatchEventOrderSeed);
    }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    public async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var query = request.Query;
        var watch = IsTrue(query["watch"]);
        RequestInfo info;
        lock (_store.Gate)
        {
            info = RequestInfo.Parse(request.Method, request.Path.Value ?? "/", watch,
                (g, v, r) => _registry.Find(g, v, r) is { Namespaced: true });
        }

        var status = 200;
        var user = "";
        try
        {
            await _faults.WaitIfPausedAsync(ctx.RequestAborted).ConfigureAwait(false);
            if (_faults.Match(info.Path, info.Verb) is { } rule)
            {
                status = rule.StatusCode;
                await WriteFaultAsync(ctx, info, rule).ConfigureAwait(false);
                return;
            }

            if (_lifecycle.ShuttingDown)
            {
                // As the apiserver's wait-group filters once shutdown has begun, watches included.
                status = 503;
                ctx.Response.Headers.RetryAfter = "1";
                await WriteJsonAsync(ctx, 503, KubeStatus.Failure(503, "ServiceUnavailable", "apiserver is shutting down")).ConfigureAwait(false);
                return;
            }

            var identity = Authenticate(ctx) ?? throw new KubeApiException(KubeStatus.Failure(401, "Unauthorized", "Unauthorized"));
            user = identity.Name;
            ctx.Items[UserKey] = identity;
            Authorize(identity, Authorization.AuthorizationAttributes.From(info, query["fieldSelector"]));
            if (info.IsResourceRequest && _lifecycle.HandlersNotInstalled)
            {
                ctx.Response.Headers.RetryAfter = "5";
                throw new KubeApiException(KubeStatus.Failure(503, "ServiceUnavailable",
                    "the request has been made before all known HTTP paths have been installed, please try again",
                    new JsonObject { ["retryAfterSeconds"] = 5 }));
            }

            if (info.Verb is "list" or "watch" && _lifecycle.StorageInitializing)
            {
                ctx.Response.Headers.RetryAfter = "1";
                throw new KubeApiException(KubeStatus.Failure(429, "TooManyRequests", "storage is (re)initializing",
                    new JsonObject { ["retryAfterSeconds"] = 1 }));
            }

            status = info.IsResourceRequest
                ? await HandleResourceAsync(ctx, info).ConfigureAwait(false)
                : await HandleNonResourceAsync(ctx, info).ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            status = e.Code;
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, e.Code, e.Status).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            status = 499;
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            // A bug in the emulator: answer like the apiserver's panic handler rather than dropping the connection.
            status = 500;
            await WriteJsonAsync(ctx, 500, KubeStatus.Failure(500, "InternalError", $"Internal error occurred: {e.GetType().Name}: {e.Message}")).ConfigureAwait(false);
        }
        finally
        {
            if (!ctx.Items.ContainsKey(LoggedKey))
            {
                Log(info, request.Method, status, Uri.UnescapeDataString(ctx.Request.QueryString.Value ?? ""), user, ctx.Request.Headers.Accept.ToString());
            }
        }
    }

    private const string LoggedKey = "emulator.logged";

    /// <summary>Watches are logged when they start streaming, so tests see them while they are open.</summary>
    private void LogStarted(HttpContext ctx, RequestInfo info, int status)
    {
        ctx.Items[LoggedKey] = true;
        Log(info, ctx.Request.Method, status, Uri.UnescapeDataString(ctx.Request.QueryString.Value ?? ""), UserOf(ctx).Name, ctx.Request.Headers.Accept.ToString());
    }

    private void Log(RequestInfo info, string method, int status, string query, string user, string accept) =>
        _log.Add(new RequestLogEntry(Now, method, info.Path, info.Verb, info.Group, info.Resource, info.Subresource,
            info.NamespaceOrEmpty, info.Name ?? "", status, query, user, accept));

    /// <summary>An injected failure's answer, with the Status body the real server gives that code.</summary>
    private static async Task WriteFaultAsync(HttpContext ctx, RequestInfo info, FaultRule rule)
    {
        if (rule.StatusCode == 429)
        {
            ctx.Response.Headers.RetryAfter = rule.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var (reason, message) = rule.StatusCode switch
        {
            429 => ("TooManyRequests", "Too many requests, please try again later."),
            403 => ("Forbidden", $"{info.Resource} is forbidden: User \"system:serviceaccount:injected-fault\" cannot {info.Verb} resource \"{info.Resource}\""),
            404 => ("NotFound", "the server could not find the requested resource"),
            503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
            504 => ("Timeout", "the server was unable to return a response in the time allotted"),
            _ => ("InternalError", "Internal error occurred: injected fault"),
        };
        // A 404 on an object's own path is the real server's "not found" of that object (as when it was deleted meanwhile).
        var body = rule.StatusCode == 404 && info.Name is { Length: > 0 } name
            ? KubeStatus.NotFound(info.Group, info.Resource, name).Status
            : KubeStatus.Failure(rule.StatusCode, reason, message);
        if (rule.StatusCode == 429)
        {
            body["details"] = new JsonObject { ["retryAfterSeconds"] = rule.RetryAfterSeconds };
        }

        await WriteJsonAsync(ctx, rule.StatusCode, body).ConfigureAwait(false);
    }

    private async Task<int> HandleNonResourceAsync(HttpContext ctx, RequestInfo info)
    {
        var s = info.Segments;
        if (s is ["openapi", "v2"] && !AcceptsJson(ctx))
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = Discovery.OpenApiV2ProtobufMediaType;
            await ctx.Response.Body.WriteAsync(Discovery.OpenApiV2Protobuf(), ctx.RequestAborted).ConfigureAwait(false);
            return 200;
        }

        JsonObject? body;
        lock (_store.Gate)
        {
            body = s switch
            {
                [] => new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3", "/version") },
                ["version"] => Discovery.Version(),
                ["api"] => Discovery.CoreVersions($"{ctx.Request.Host.Value}"),
                ["api", "v1"] => Discovery.ResourceList(_registry, "", "v1"),
                ["apis"] => Discovery.GroupList(_registry),
                ["apis", var g] when _registry.Groups.Contains(g) => Discovery.Group(_registry, g),
                ["apis", var g, var v] when _registry.Versions(g).Contains(v) => Discovery.ResourceList(_registry, g, v),
                ["openapi", "v2"] when AcceptsJson(ctx) => Discovery.OpenApiV2(_registry),
                ["openapi", "v3"] => Discovery.OpenApiV3Root(_registry),
                ["openapi", "v3", "api", var v] => Discovery.OpenApiV3GroupVersion(_registry, "", v),
                ["openapi", "v3", "apis", var g, var v] => Discovery.OpenApiV3GroupVersion(_registry, g, v),
                ["healthz"] or ["readyz"] or ["livez"] => null,
                _ => throw KubeStatus.ResourceNotFound(),
            };
        }

        if (body is null)
        {
            if (s is ["healthz"] or ["readyz"] or ["livez"])
            {
                ctx.Response.ContentType = "text/plain";
                await ctx.Response.WriteAsync("ok", ctx.RequestAborted).ConfigureAwait(false);
                return 200;
            }

            throw KubeStatus.ResourceNotFound();
        }

        await WriteJsonAsync(ctx, 200, body).ConfigureAwait(false);
        return 200;
    }

    private async Task<int> HandleResourceAsync(HttpContext ctx, RequestInfo info)
    {
        ResourceType type;
        lock (_store.Gate)
        {
            type = _registry.Find(info.Group, info.Version, info.Resource) ?? throw KubeStatus.ResourceNotFound();
        }

        if (info is { Subresource: "token", Verb: "create" } && type is { Group: "", Plural: "serviceaccounts" })
        {
            return await TokenRequestAsync(ctx, info).ConfigureAwait(false);
        }

        if (info.Subresource.Length > 0 && !(info.Subresource == "status" && type.HasStatusSubresource))
        {
            throw KubeStatus.ResourceNotFound();
        }

        if (type.Namespaced && info.Namespace is null && info.Verb is not ("list" or "watch"))
        {
            throw info.Name is null ? KubeStatus.MethodNotAllowed() : KubeStatus.ResourceNotFound();
        }

        if (type.IsReview)
        {
            return await ReviewAsync(ctx, info, type).ConfigureAwait(false);
        }

        var query = ctx.Request.Query;
        var dryRun = query["dryRun"].Count > 0;
        var write = info.Verb is "create" or "update" or "patch" or "delete" or "deletecollection" && !dryRun ? _ordering.Begin() : null;
        try
        {
            return await HandleVerbAsync(ctx, info, type, dryRun, write).ConfigureAwait(false);
        }
        finally
        {
            write?.ResponseSent();
        }
    }

    private async Task<int> HandleVerbAsync(HttpContext ctx, RequestInfo info, ResourceType type, bool dryRun, WriteOrder? write)
    {
        var query = ctx.Request.Query;
        var fieldValidation = info.Verb is "create" or "update" or "patch" ? FieldValidation.FromQuery(query["fieldValidation"]) : null;
        var owner = new WriteOwner(ManagerOf(ctx));
        if (fieldValidation is not null)
        {
            fieldValidation.Type = type;
        }
        switch (info.Verb)
        {
            case "get":
            {
                JsonObject obj;
                lock (_store.Gate)
                {
                    obj = _objects.Get(type, info.Namespace, info.Name!);
                }

                if (WantsTable(ctx))
                {
                    var table = TableConverter.Convert(type, [obj], obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", null, true, IncludeFullObject(ctx), Now);
                    await WriteJsonAsync(ctx, 200, table).ConfigureAwait(false);
                }
                else if (WantsMetadataOnly(ctx, info.Verb))
                {
                    await WriteJsonAsync(ctx, 200, PartialObjectMetadata(obj)).ConfigureAwait(false);
                }
                else
                {
                    await WriteJsonAsync(ctx, 200, obj).ConfigureAwait(false);
                }

                return 200;
            }

            case "list":
            {
                var metadataOnly = !WantsTable(ctx) && WantsMetadataOnly(ctx, info.Verb);
                var list = List(ctx, type, info);
                await WriteJsonAsync(ctx, 200, metadataOnly ? PartialObjectMetadataList(list) : list).ConfigureAwait(false);
                return 200;
            }
            case "watch":
                return await WatchAsync(ctx, type, info).ConfigureAwait(false);
            case "create":
            {
                var body = await ReadBodyAsync(ctx, fieldValidation).ConfigureAwait(false) as JsonObject ?? throw KubeStatus.BadRequest("the request body must be a JSON object");
                JsonObject created;
                lock (_store.Gate)
                {
                    created = _objects.Create(type, info.Namespace, body, dryRun, fieldValidation, owner);
                }

                AddWarnings(ctx, fieldValidation);

                await RespondToWriteAsync(ctx, 201, created, write).ConfigureAwait(false);
                return 201;
            }

            case "update":
            {
                var body = await ReadBodyAsync(ctx, fieldValidation).ConfigureAwait(false) as JsonObject ?? throw KubeStatus.BadRequest("the request body must be a JSON object");
                JsonObject updated;
                lock (_store.Gate)
                {
                    updated = _objects.Update(type, info.Namespace, info.Name!, info.Subresource, _ => body, dryRun,
                        requireRv: !type.Strategy.AllowUnconditionalUpdate && info.Subresource.Length == 0, fieldValidation, owner);
                }

                AddWarnings(ctx, fieldValidation);

                await RespondToWriteAsync(ctx, 200, updated, write).ConfigureAwait(false);
                return 200;
            }

            case "patch":
            {
                var (code, patched) = await PatchAsync(ctx, type, info, dryRun, fieldValidation!, owner).ConfigureAwait(false);
                AddWarnings(ctx, fieldValidation);
                await RespondToWriteAsync(ctx, code, patched, write).ConfigureAwait(false);
                return code;
            }

            case "delete":
            {
                var options = ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0
                    ? await ReadBodyAsync(ctx).ConfigureAwait(false) as JsonObject
                    : null;
                JsonObject result;
                lock (_store.Gate)
                {
                    result = _objects.Delete(type, info.Namespace, info.Name!, options, dryRun);
                }

                await RespondToWriteAsync(ctx, 200, result, write).ConfigureAwait(false);
                return 200;
            }

            case "deletecollection":
            {
                var labels = LabelSelector.Parse(query["labelSelector"]);
                var fields = FieldSelector.Parse(query["fieldSelector"]);
                lock (_store.Gate)
                {
                    foreach (var obj in _store.List(type.StorageKey, info.Namespace).ToList())
                    {
                        var served = RegistryStore.Serve(type, obj);
                        if (labels.Matches(served) && fields.Matches(served))
                        {
                            _objects.Delete(type, obj["metadata"]?["namespace"]?.GetValue<string>(), obj["metadata"]!["name"]!.GetValue<string>(), null, dryRun);
                        }
                    }
                }

                await RespondToWriteAsync(ctx, 200, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success" }, write).ConfigureAwait(false);
                return 200;
            }

            default:
                throw KubeStatus.MethodNotAllowed();
        }
    }

    private async Task<(int Code, JsonObject Result)> PatchAsync(HttpContext ctx, ResourceType type, RequestInfo info, bool dryRun, FieldValidation fields, WriteOwner owner)
    {
        var contentType = ctx.Request.ContentType ?? "";
        var query = ctx.Request.Query;
        var isApply = contentType.StartsWith("application/apply-patch+yaml", StringComparison.OrdinalIgnoreCase);
        ValidatePatchOptions(query, isApply);
        var patch = await ReadBodyAsync(ctx, fields).ConfigureAwait(false);
        Func<JsonObject, JsonObject> apply;
        if (contentType.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase))
        {
            apply = current => JsonPatches.MergePatch(current, patch) as JsonObject ?? throw KubeStatus.BadRequest("patch did not produce an object");
        }
        else if (contentType.StartsWith("application/json-patch+json", StringComparison.OrdinalIgnoreCase))
        {
            var ops = patch as JsonArray ?? throw KubeStatus.BadRequest("json patch must be a JSON array of operations");
            apply = current => JsonPatches.JsonPatch(current, ops) as JsonObject ?? throw KubeStatus.UnprocessableEntity("patch did not produce an object");
        }
        else if (contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.OrdinalIgnoreCase))
        {
            if (!type.Strategy.SupportsStrategicMergePatch)
            {
                throw KubeStatus.UnsupportedMediaType(contentType);
            }

            apply = current => JsonPatches.StrategicMergePatch(current, patch) as JsonObject ?? throw KubeStatus.BadRequest("patch did not produce an object");
        }
        else if (isApply)
        {
            // Server-side apply: the field manager merges the configuration, prunes what the manager no longer
            // applies and checks ownership; the object it returns carries the new managedFields.
            var config = patch as JsonObject ?? throw KubeStatus.BadRequest("error decoding YAML: the applied configuration must be an object");
            var force = IsTrue(query["force"]);
            owner = owner with { Applied = true };
            lock (_store.Gate)
            {
                if (_store.Get(type.StorageKey, info.Namespace, info.Name!) is null && info.Subresource.Length == 0)
                {
                    // An apply that creates needs the create verb too, as the real patch handler checks.
                    Authorize(UserOf(ctx), Authorization.AuthorizationAttributes.From(info with { Verb = "create" }, null));
                    var created = _objects.FieldManager.Apply(type, null, config, owner.Manager, force, "");
                    return (201, _objects.Create(type, info.Namespace, created, dryRun, fields, owner));
                }
            }

            apply = current => _objects.FieldManager.Apply(type, current, config, owner.Manager, force, info.Subresource);
        }
        else
        {
            throw KubeStatus.UnsupportedMediaType(contentType);
        }

        lock (_store.Gate)
        {
            return (200, _objects.Update(type, info.Namespace, info.Name!, info.Subresource, apply, dryRun, requireRv: false, fields, owner));
        }
    }

    /// <summary>As the real ValidatePatchOptions: apply needs a fieldManager, only apply may force.</summary>
    private static void ValidatePatchOptions(IQueryCollection query, bool isApply)
    {
        if (!isApply && query["force"].Count > 0)
        {
            throw KubeStatus.Invalid("meta.k8s.io", "PatchOptions", "",
                [new Validation.FieldError("force", "FieldValueForbidden", "force: Forbidden: may not be specified for non-apply patch")]);
        }

        if (isApply && string.IsNullOrEmpty(query["fieldManager"]))
        {
            throw KubeStatus.Invalid("meta.k8s.io", "PatchOptions", "",
                [new Validation.FieldError("fieldManager", "FieldValueRequired", "fieldManager: Required value: is required for apply patch")]);
        }
    }

    /// <summary>
    /// The manager of a write, as the real server names it: the <c>fieldManager</c> parameter, else the User-Agent up
    /// to its first '/', without unprintable characters, at most 128 bytes.
    /// </summary>
    private static string ManagerOf(HttpContext ctx)
    {
        if (ctx.Request.Query["fieldManager"] is { Count: > 0 } given && !string.IsNullOrEmpty(given[0]))
        {
            return given[0]!;
        }

        var agent = ctx.Request.Headers.UserAgent.ToString();
        var product = agent.Split('/')[0];
        var manager = new StringBuilder();
        foreach (var rune in product.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Utf8SequenceLength + Encoding.UTF8.GetByteCount(manager.ToString()) > 128)
            {
                if (Rune.IsControl(rune))
                {
                    continue;
                }

                break;
            }

            manager.Append(rune.ToString());
        }

        return manager.ToString();
    }

    /// <summary>The unknown- and duplicate-field warnings of a write, as the real server sends them (299, quoted).</summary>
    private static void AddWarnings(HttpContext ctx, FieldValidation? fields)
    {
        foreach (var warning in fields?.Warnings ?? [])
        {
            ctx.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }

    private static async Task<JsonNode?> ReadBodyAsync(HttpContext ctx, FieldValidation? fields = null)
    {
        var mediaType = ctx.Request.ContentType ?? "";
        if (mediaType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase))
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
            return ProtobufDecoder.Decode(buffer.ToArray());
        }

        if (mediaType.Contains("cbor", StringComparison.OrdinalIgnoreCase))
        {
            throw new KubeApiException(KubeStatus.Failure(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got \"{mediaType}\")"));
        }

        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var contentType = ctx.Request.ContentType ?? "";
            if (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase))
            {
                return YamlJson.Parse(text);
            }

            return fields is null ? JsonNode.Parse(text) : fields.Parse(text);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw KubeStatus.BadRequest($"error decoding request body ({ctx.Request.ContentType}): {e.Message}");
        }
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count > 0 && (value[0] is "true" or "1" or "True" or "");

    /// <summary>No Accept, */*, or a JSON type; the protobuf-only Accept of client-go's OpenAPI v2 fetch is not.</summary>
    private static bool AcceptsJson(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Count == 0 ||
        ctx.Request.Headers.Accept.Any(a => a is not null && (a.Contains("json", StringComparison.OrdinalIgnoreCase) || a.Contains("*/*", StringComparison.Ordinal)));

    private static bool WantsTable(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal));

    private static bool IncludeFullObject(HttpContext ctx) => ctx.Request.Query["includeObject"] == "Object";

    private static async Task WriteJsonAsync(HttpContext ctx, int code, JsonNode body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A successful write's response, in the order <paramref name="write"/> chose relative to its watch events.</summary>
    private static async Task RespondToWriteAsync(HttpContext ctx, int code, JsonNode body, WriteOrder? write)
    {
        if (write is not null)
        {
            await write.BeforeResponseAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        await WriteJsonAsync(ctx, code, body).ConfigureAwait(false);
        if (write?.Mode == WatchEventOrder.ResponseFirst)
        {
            await ctx.Response.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>LIST: the query parsed here, the consistent page from the registry, answered as a list or a Table.</summary>
    private JsonObject List(HttpContext ctx, ResourceType type, RequestInfo info)
    {
        var query = ctx.Request.Query;
        var request = new ListRequest(
            LabelSelector.Parse(query["labelSelector"]),
            FieldSelector.Parse(query["fieldSelector"]),
            int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0,
            query["continue"],
            query["resourceVersion"],
            query["resourceVersionMatch"]);
        ListPage page;
        lock (_store.Gate)
        {
            page = _objects.List(type, info.Namespace, request);
        }

        if (WantsTable(ctx))
        {
            return TableConverter.Convert(type, page.Items, page.ResourceVersion, page.Continue, true, IncludeFullObject(ctx), Now);
        }

        var meta = new JsonObject { ["resourceVersion"] = page.ResourceVersion };
        if (page.Continue is not null)
        {
            meta["continue"] = page.Continue;
            meta["remainingItemCount"] = page.Remaining;
        }

        return new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.ListKind,
            ["metadata"] = meta,
            ["items"] = new JsonArray([.. page.Items]),
        };
    }
}
