namespace Operator.Testing.Kubernetes;

/// <summary>
/// The patch formats the emulator accepts. Strategic merge patch is approximated by JSON merge patch with list
/// replacement, after dropping the "$..." directive keys kubectl adds ($setElementOrder, $retainKeys, $patch).
/// </summary>
internal static class JsonPatches
{
    /// <summary>RFC 7386, mutating <paramref name="target"/> when it is an object: objects merge recursively, null deletes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObj)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObj)
        {
            if (value is null)
            {
                result.Remove(key);
                continue;
            }

            if (result.TryGetPropertyValue(key, out var existing) && existing is JsonObject existingObj && value is JsonObject)
            {
                MergePatch(existingObj, value);
                continue;
            }

            result[key] = MergePatch(null, value);
        }

        return result;
    }

    public static JsonNode? StrategicMergePatch(JsonNode? target, JsonNode? patch) =>
        MergePatch(target, StripDirectives(patch));

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (k, v) in obj)
                {
                    if (!k.StartsWith('$'))
                    {
                        copy[k] = StripDirectives(v);
                    }
                }

                return copy;
            case JsonArray arr:
                var list = new JsonArray();
                foreach (var item in arr)
                {
                    list.Add(StripDirectives(item));
                }

                return list;
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>RFC 6902 on a clone of <paramref name="document"/>. Failures are 422 with the reason text, like the real server.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonArray operations)
    {
        var root = new JsonObject { ["r"] = document?.DeepClone() };
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op || op["op"]?.GetValue<string>() is not { } name || op["path"]?.GetValue<string>() is not { } path)
            {
                throw KubeStatus.BadRequest("invalid JSON patch: each operation needs \"op\" and \"path\"");
            }

            switch (name)
            {
                case "add":
                    Add(root, path, RequireValue(op));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, RequireValue(op));
                    break;
                case "move":
                {
                    var from = RequireFrom(op);
                    var value = Get(root, from) ?? throw Fail($"missing value at {from}");
                    Remove(root, from);
                    Add(root, path, value);
                    break;
                }

                case "copy":
                {
                    var from = RequireFrom(op);
                    Add(root, path, Get(root, from)?.DeepClone() ?? throw Fail($"missing value at {from}"));
                    break;
                }

                case "test":
                {
                    var actual = Get(root, path);
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                    {
                        throw Fail($"testing value {path} failed: test failed");
                    }

                    break;
                }

                default:
                    throw KubeStatus.BadRequest($"Unexpected kind: {name}");
            }
        }

        return root["r"];
    }

    private static JsonNode? RequireValue(JsonObject op)
    {
        if (!op.ContainsKey("value"))
        {
            throw KubeStatus.BadRequest("invalid JSON patch: operation is missing \"value\"");
        }

        return op["value"]?.DeepClone();
    }

    private static string RequireFrom(JsonObject op) =>
        op["from"]?.GetValue<string>() ?? throw KubeStatus.BadRequest("invalid JSON patch: operation is missing \"from\"");

    private static KubeApiException Fail(string message) => KubeStatus.UnprocessableEntity(message);

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (!pointer.StartsWith('/'))
        {
            throw KubeStatus.BadRequest($"invalid JSON pointer: {pointer}");
        }

        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    /// <summary>Walks to the parent of the pointer's last token; the root holder makes "" addressable.</summary>
    private static (JsonNode Parent, string Last) Parent(JsonObject holder, string pointer)
    {
        var tokens = Tokens(pointer);
        tokens.Insert(0, "r");
        JsonNode current = holder;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            current = Child(current, tokens[i]) ?? throw Fail($"doc is missing path: {pointer}");
        }

        return (current, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(token, out var v) ? v : null,
        JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
        _ => null,
    };

    private static JsonNode? Get(JsonObject holder, string pointer)
    {
        var (parent, last) = Parent(holder, pointer);
        return Child(parent, last);
    }

    private static void Add(JsonObject holder, string pointer, JsonNode? value)
    {
        var (parent, last) = Parent(holder, pointer);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(last);
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Fail($"add operation does not apply: doc is missing path: \"{pointer}\"");
        }
    }

    private static void Remove(JsonObject holder, string pointer)
    {
        var (parent, last) = Parent(holder, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                a.RemoveAt(i);
                break;
            default:
                throw Fail($"remove operation does not apply: doc is missing path: \"{pointer}\"");
        }
    }
}
