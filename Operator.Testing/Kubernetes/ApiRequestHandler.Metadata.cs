using Microsoft.AspNetCore.Http;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// Metadata-only answers, as kube-apiserver gives them to client-go's metadata client (and controller-runtime's
/// <c>OnlyMetadata</c>): a get or watch whose Accept asks for <c>application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1</c>
/// gets each object (watch: each event's object, bookmarks included) as <c>apiVersion: meta.k8s.io/v1</c>,
/// <c>kind: PartialObjectMetadata</c> and its metadata, nothing else; a list asking
/// <c>as=PartialObjectMetadataList</c> gets a <c>PartialObjectMetadataList</c> of them. Media types are tried in the
/// order the client lists them; the first the verb can be served as wins (a plain JSON type serves the full objects),
/// and a request none of whose types fits (a list asked only as <c>PartialObjectMetadata</c>) is refused with 406.
/// </summary>
internal sealed partial class ApiRequestHandler
{
    private const string MetaGroupVersion = "meta.k8s.io/v1";

    /// <summary>True when the request is to be answered with metadata only; throws 406 when no listed type fits.</summary>
    private static bool WantsMetadataOnly(HttpContext ctx, string verb)
    {
        var listed = ctx.Request.Headers.Accept.SelectMany(a => (a ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (!listed.Any(m => m.Contains("as=PartialObjectMetadata", StringComparison.Ordinal)))
        {
            return false;
        }
        var wanted = verb == "list" ? "PartialObjectMetadataList" : "PartialObjectMetadata";
        foreach (var media in listed)
        {
            var parameters = media.Split(';', StringSplitOptions.TrimEntries).Skip(1)
                .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            if (!parameters.TryGetValue("as", out var view))
            {
                return false; // a plain JSON type first: the full objects
            }
            if (view == wanted && parameters.GetValueOrDefault("g") == "meta.k8s.io" && parameters.GetValueOrDefault("v") == "v1")
            {
                return true;
            }
        }
        throw new KubeApiException(KubeStatus.Failure(406, "NotAcceptable",
            $"only the following media types are accepted: application/json;as={wanted};g=meta.k8s.io;v=v1, application/json"));
    }

    /// <summary>The object reduced to a PartialObjectMetadata.</summary>
    private static JsonObject PartialObjectMetadata(JsonObject obj) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = MetaGroupVersion,
        ["metadata"] = obj["metadata"]?.DeepClone() ?? new JsonObject(),
    };

    /// <summary>A list answer reduced to a PartialObjectMetadataList (its list metadata kept).</summary>
    private static JsonObject PartialObjectMetadataList(JsonObject list) => new()
    {
        ["kind"] = "PartialObjectMetadataList",
        ["apiVersion"] = MetaGroupVersion,
        ["metadata"] = list["metadata"]?.DeepClone() ?? new JsonObject(),
        ["items"] = new JsonArray([.. (list["items"]?.AsArray() ?? []).Select(i => (JsonNode)PartialObjectMetadata(i!.AsObject()))]),
    };
}
