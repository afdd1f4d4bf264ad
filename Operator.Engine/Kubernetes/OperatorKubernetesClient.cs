using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// The KubernetesClient (its AOT build) that can also send custom resources and JSON documents as request bodies: that
/// build serializes bodies with a source-generated context of its built-in kinds only, and fails on anything else (a
/// custom resource, a JsonObject). Such a body (a JSON document, or a value of a type from outside the client's
/// assembly) is serialized here with the process's <see cref="KubeJson"/> and handed to the client as pre-serialized JSON (a <see cref="V1Patch"/> carrying the text, which the client
/// writes verbatim), sent as application/json. Bodies of built-in kinds and real patches go through unchanged.
/// The production host and the tests both use this class, so the tests exercise the binary's client path.
/// </summary>
internal sealed class OperatorKubernetesClient : k8s.Kubernetes
{
    // The pre-serialized bodies in flight; weak, so a body is forgotten with its request.
    private static readonly ConditionalWeakTable<V1Patch, object> PlainJsonBodies = new();

    private readonly KubeJson _json;

    public OperatorKubernetesClient(KubernetesClientConfiguration config, KubeJson json, params DelegatingHandler[] handlers)
        : base(config, handlers)
    {
        _json = json;
    }

    protected override Task<HttpResponseMessage> SendRequest<T>(
        string relativeUri, HttpMethod method, IReadOnlyDictionary<string, IReadOnlyList<string>> customHeaders, T body,
        CancellationToken cancellationToken)
    {
        if (body is JsonNode or JsonElement
            || (body is not null && body.GetType().Assembly != typeof(V1Patch).Assembly && body.GetType().Assembly != typeof(object).Assembly))
        {
            var plain = new V1Patch(_json.Serialize(body), V1Patch.PatchType.MergePatch);
            PlainJsonBodies.Add(plain, plain);
            return base.SendRequest(relativeUri, method, customHeaders, plain, cancellationToken);
        }
        return base.SendRequest(relativeUri, method, customHeaders, body, cancellationToken);
    }

    protected override MediaTypeHeaderValue GetHeader(object body) =>
        body is V1Patch patch && PlainJsonBodies.TryGetValue(patch, out _)
            ? MediaTypeHeaderValue.Parse("application/json; charset=utf-8")
            : base.GetHeader(body);
}
