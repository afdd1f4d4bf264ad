namespace Operator.Testing.Kubernetes;

/// <summary>
/// Reads the paths used by field selectors (a.b.c) and printer columns (.a.b[0].c, and the filter
/// .a[?(@.type=="Synced")].status that CRDs use on conditions). A filter keeps the first matching element, which is
/// what a printer column shows when one element matches; anything unresolvable reads as null (an empty cell).
/// </summary>
internal static class JsonPaths
{
    public static JsonNode? Resolve(JsonNode? root, string path)
    {
        var node = root;
        var i = path.StartsWith('.') ? 1 : 0;
        while (node is not null && i < path.Length)
        {
            if (path[i] == '.')
            {
                i++;
                continue;
            }

            if (path[i] == '[')
            {
                var close = ClosingBracket(path, i);
                if (close < 0)
                {
                    return null;
                }

                node = Index(node, path[(i + 1)..close]);
                i = close + 1;
                continue;
            }

            var end = i;
            while (end < path.Length && path[end] is not ('.' or '['))
            {
                end++;
            }

            node = node is JsonObject o && o.TryGetPropertyValue(path[i..end], out var child) ? child : null;
            i = end;
        }

        return node;
    }

    private static int ClosingBracket(string path, int open)
    {
        var quote = '\0';
        for (var i = open + 1; i < path.Length; i++)
        {
            var c = path[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == ']')
            {
                return i;
            }
        }

        return -1;
    }

    private static JsonNode? Index(JsonNode node, string inner)
    {
        if (node is not JsonArray array)
        {
            return null;
        }

        if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var idx))
        {
            return idx < array.Count ? array[idx] : null;
        }

        // ?(@.field=="value") or ?(@.field=='value')
        if (!inner.StartsWith("?(@.", StringComparison.Ordinal) || !inner.EndsWith(')'))
        {
            return null;
        }

        var expr = inner[4..^1];
        var eq = expr.IndexOf("==", StringComparison.Ordinal);
        if (eq < 0)
        {
            return null;
        }

        var field = expr[..eq].Trim();
        var literal = expr[(eq + 2)..].Trim();
        if (literal.Length >= 2 && literal[0] is '"' or '\'' && literal[^1] == literal[0])
        {
            literal = literal[1..^1];
        }

        return array.FirstOrDefault(e => AsSelectorString(Resolve(e, field)) == literal);
    }

    /// <summary>Field-selector view of a value: strings raw, scalars as JSON text, missing as "".</summary>
    public static string AsSelectorString(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>An integer whatever CLR type backs the node (parsed JSON, YAML long, or a C# int).</summary>
    public static long? GetLong(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
        long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    public static string? GetString(JsonNode? node, string path) =>
        Resolve(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
