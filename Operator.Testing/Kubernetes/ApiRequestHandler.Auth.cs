using Microsoft.AspNetCore.Http;
using Operator.Testing.Kubernetes.Authorization;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// Authentication and authorization, as the apiserver's filters run them before any handler: the bearer token is a
/// user (<see cref="TokenAuthenticator"/>); right after a restart users outside system:masters are denied (RBAC has not
/// loaded); with <see cref="KubeApiEmulatorOptions.EnforceRbac"/> every request is checked by
/// <see cref="RbacAuthorizer"/>. Also the two endpoints that are about users: SelfSubjectAccessReview
/// (<c>kubectl auth can-i</c>) and TokenRequest (<c>kubectl create token</c>).
/// </summary>
internal sealed partial class ApiRequestHandler
{
    private const string UserKey = "emulator.user";

    /// <summary>The paths every user may always get (the real server's --authorization-always-allow-paths).</summary>
    private static readonly string[] AlwaysAllowPaths = ["/healthz", "/readyz", "/livez"];

    private readonly TokenAuthenticator _tokens;
    private readonly ServerLifecycle _lifecycle;

    private static UserInfo UserOf(HttpContext ctx) => ctx.Items.TryGetValue(UserKey, out var user) && user is UserInfo u ? u : UserInfo.Admin;

    private UserInfo? Authenticate(HttpContext ctx)
    {
        lock (_store.Gate)
        {
            return _tokens.Authenticate(ctx.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null, _options.EnforceRbac,
                (ns, name) => ResourceStrategy.Str(_store.Get("/serviceaccounts", ns, name)?["metadata"]?["uid"]));
        }
    }

    /// <summary>Throws the real 403 when <paramref name="user"/> may not do <paramref name="request"/> now.</summary>
    private void Authorize(UserInfo user, AuthorizationAttributes request)
    {
        if (!request.IsResourceRequest && AlwaysAllowPaths.Contains(request.Path))
        {
            return;
        }

        if (!user.IsMaster && _lifecycle.AuthorizationNotReady)
        {
            throw request.Forbidden(user);
        }

        if (!_options.EnforceRbac)
        {
            return;
        }

        bool allowed;
        lock (_store.Gate)
        {
            allowed = RbacAuthorizer.Allows(_store, user, request);
        }

        if (!allowed)
        {
            throw request.Forbidden(user);
        }
    }

    /// <summary>SelfSubjectAccessReview: whether the requesting user may do what the review describes.</summary>
    private async Task<int> ReviewAsync(HttpContext ctx, RequestInfo info, ResourceType type)
    {
        if (info.Verb != "create")
        {
            throw KubeStatus.MethodNotAllowed();
        }

        var review = await ReadBodyAsync(ctx).ConfigureAwait(false) as JsonObject ?? throw KubeStatus.BadRequest("the request body must be a JSON object");
        var spec = review["spec"] as JsonObject ?? [];
        AuthorizationAttributes asked;
        if (spec["resourceAttributes"] is JsonObject r)
        {
            asked = new AuthorizationAttributes(true, Str(r["verb"]), Str(r["group"]), Str(r["resource"]), Str(r["subresource"]), Str(r["namespace"]), Str(r["name"]), "");
        }
        else if (spec["nonResourceAttributes"] is JsonObject n)
        {
            asked = new AuthorizationAttributes(false, Str(n["verb"]), "", "", "", "", "", Str(n["path"]));
        }
        else
        {
            throw KubeStatus.Invalid("authorization.k8s.io", "SelfSubjectAccessReview", "",
                [new Validation.FieldError("spec.resourceAttributes", "FieldValueRequired", "spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        var user = UserOf(ctx);
        string? reason;
        bool allowed;
        if (!_options.EnforceRbac || user.IsMaster)
        {
            (allowed, reason) = (true, null);
        }
        else
        {
            lock (_store.Gate)
            {
                reason = RbacAuthorizer.Reason(_store, user, asked);
                allowed = RbacAuthorizer.Allows(_store, user, asked);
            }
        }

        var status = new JsonObject { ["allowed"] = allowed };
        if (reason is not null)
        {
            status["reason"] = reason;
        }

        var answer = new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
        await WriteJsonAsync(ctx, 201, answer).ConfigureAwait(false);
        return 201;

        static string Str(JsonNode? node) => ResourceStrategy.Str(node) ?? "";
    }

    /// <summary>TokenRequest: a token for the ServiceAccount, as <c>kubectl create token</c> asks for one.</summary>
    private async Task<int> TokenRequestAsync(HttpContext ctx, RequestInfo info)
    {
        var request = await ReadBodyAsync(ctx).ConfigureAwait(false) as JsonObject ?? [];
        string token;
        lock (_store.Gate)
        {
            var account = _store.Get("/serviceaccounts", info.Namespace, info.Name!) ?? throw KubeStatus.NotFound("", "serviceaccounts", info.Name!);
            token = _tokens.IssueServiceAccount(info.Namespace!, info.Name!, ResourceStrategy.Str(account["metadata"]?["uid"]) ?? "");
        }

        var seconds = JsonPaths.GetLong(request["spec"]?["expirationSeconds"]) ?? 3600;
        var answer = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = info.Name, ["namespace"] = info.Namespace, ["creationTimestamp"] = null },
            ["spec"] = new JsonObject
            {
                ["audiences"] = request["spec"]?["audiences"]?.DeepClone() ?? new JsonArray("https://kubernetes.default.svc"),
                ["expirationSeconds"] = seconds,
                ["boundObjectRef"] = null,
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = Now.AddSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        };
        await WriteJsonAsync(ctx, 201, answer).ConfigureAwait(false);
        return 201;
    }
}
