namespace Operator.Testing.Kubernetes;

/// <summary>
/// Legacy (unaggregated) discovery and OpenAPI. kubectl 1.32 asks for aggregated discovery first and falls back to
/// these documents when the answer's content type is plain application/json. The OpenAPI v3 documents carry the
/// fieldValidation parameter on PATCH, so kubectl's default --validate=strict leaves validation to the server, and,
/// like the real server, each CRD version's schema under a name tagged with its group/version/kind, which is what
/// <c>kubectl explain</c> reads. /openapi/v2 publishes the same schemas as Swagger 2.0 definitions in JSON, and an
/// empty protobuf document to a protobuf-only Accept (<see cref="OpenApiV2Protobuf"/>).
/// </summary>
internal static class Discovery
{
    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0-emulator",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.4",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string hostPort) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = hostPort }),
    };

    public static JsonObject GroupList(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(registry.Groups.Select(g => (JsonNode)Group(registry, g)).ToArray()),
    };

    public static JsonObject Group(ResourceRegistry registry, string group)
    {
        var versions = registry.Versions(group)
            .Select(v => new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v })
            .ToList();
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)v).ToArray()),
            ["preferredVersion"] = versions[0].DeepClone(),
        };
    }

    public static JsonObject ResourceList(ResourceRegistry registry, string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in registry.Types.Where(t => t.Group == group && t.Version == version))
        {
            var entry = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray(t.Verbs.Select(v => (JsonNode)v).ToArray()),
            };
            if (t.ShortNames.Count > 0)
            {
                entry["shortNames"] = new JsonArray(t.ShortNames.Select(s => (JsonNode)s).ToArray());
            }

            if (t.Categories.Count > 0)
            {
                entry["categories"] = new JsonArray(t.Categories.Select(s => (JsonNode)s).ToArray());
            }

            resources.Add(entry);
            if (t is { Group: "", Plural: "serviceaccounts" })
            {
                resources.Add(new JsonObject
                {
                    ["name"] = "serviceaccounts/token",
                    ["singularName"] = "",
                    ["namespaced"] = true,
                    ["group"] = "authentication.k8s.io",
                    ["version"] = "v1",
                    ["kind"] = "TokenRequest",
                    ["verbs"] = new JsonArray("create"),
                });
            }

            if (t.HasStatusSubresource)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    public static JsonObject OpenApiV3Root(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var gv in registry.Types.Select(t => (t.Group, t.Version)).Distinct())
        {
            var key = gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}";
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={registry.Types.Count}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>One PATCH operation per kind, tagged with its GVK and the fieldValidation query parameter.</summary>
    public static JsonObject? OpenApiV3GroupVersion(ResourceRegistry registry, string group, string version)
    {
        var types = registry.Types.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        foreach (var t in types)
        {
            var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
            var path = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}/{{name}}" : $"{prefix}/{t.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{t.Kind}",
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = t.Kind },
                    ["parameters"] = new JsonArray(
                        new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = Schemas(types) },
        };
    }

    /// <summary>Swagger 2.0 with every CRD schema as a definition (paths are not needed by kubectl explain).</summary>
    public static JsonObject OpenApiV2(ResourceRegistry registry) => new()
    {
        ["swagger"] = "2.0",
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
        ["paths"] = new JsonObject(),
        ["definitions"] = Schemas(registry.Types),
    };

    /// <summary>As kube-openapi answers (the "@" of the Accept client-go sends is not valid in a Content-Type).</summary>
    public const string OpenApiV2ProtobufMediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>
    /// /openapi/v2 for client-go's protobuf-only fetch: a gnostic <c>openapi_v2.Document</c> with swagger "2.0", info,
    /// and empty paths and definitions. kubectl reads it only for client-side validation of kinds whose /openapi/v3
    /// document does not offer fieldValidation, i.e. kinds the server does not serve; with no definition it skips
    /// them, as the real server's document does, so the apply then fails on the missing kind ("no matches for kind").
    /// </summary>
    public static byte[] OpenApiV2Protobuf()
    {
        static void Field(MemoryStream to, int number, byte[] value)
        {
            to.WriteByte((byte)((number << 3) | 2));
            var length = value.Length;
            while (length >= 0x80)
            {
                to.WriteByte((byte)(length | 0x80));
                length >>= 7;
            }

            to.WriteByte((byte)length);
            to.Write(value);
        }

        using var info = new MemoryStream();
        Field(info, 1, "Kubernetes"u8.ToArray());
        Field(info, 2, "v1.32.0"u8.ToArray());
        using var document = new MemoryStream();
        Field(document, 1, "2.0"u8.ToArray());
        Field(document, 2, info.ToArray());
        Field(document, 8, []);
        Field(document, 9, []);
        return document.ToArray();
    }

    /// <summary>
    /// The real server's names (<c>codes.runner.aws-infra-operator.v1alpha1.ECSCluster</c>: the group reversed,
    /// the version, the kind), each schema tagged with <c>x-kubernetes-group-version-kind</c>.
    /// </summary>
    private static JsonObject Schemas(IEnumerable<ResourceType> types)
    {
        var schemas = new JsonObject();
        foreach (var t in types.Where(t => t.Schema is not null))
        {
            var schema = t.Schema!.DeepClone().AsObject();
            schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = t.Group, ["kind"] = t.Kind, ["version"] = t.Version });
            var name = string.Join('.', t.Group.Split('.').Reverse()) + $".{t.Version}.{t.Kind}";
            schemas[name] = schema;
        }

        return schemas;
    }
}
