using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Operator.Testing.Kubernetes;

/// <summary>Reads the simple paths used by field selectors (a.b.c) and printer columns (.a.b[0].c).</summary>
internal static class JsonPaths
{
    public static JsonNode? Resolve(JsonNode? root, string path)
    {
        var node = root;
        foreach (var raw in path.TrimStart('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw;
            int? index = null;
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0 && segment.EndsWith(']'))
            {
                if (int.TryParse(segment[(bracket + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                {
                    index = i;
                }

                segment = segment[..bracket];
            }

            if (segment.Length > 0)
            {
                node = node is JsonObject o && o.TryGetPropertyValue(segment, out var child) ? child : null;
            }

            if (index is { } idx)
            {
                node = node is JsonArray a && idx < a.Count ? a[idx] : null;
            }

            if (node is null)
            {
                return null;
            }
        }

        return node;
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
