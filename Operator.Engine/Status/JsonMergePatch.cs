using System.Text.Json.Nodes;

namespace Operator.Core.Status;

/// <summary>
/// Builds an RFC 7386 JSON merge patch that turns one document into another: changed and new members are set, members
/// that disappeared are set to null, arrays are replaced whole (merge patch has no array diff).
/// </summary>
internal static class JsonMergePatch
{
    /// <summary>The patch from <paramref name="from"/> to <paramref name="to"/>, or null when they are equal.</summary>
    public static JsonObject? Create(JsonObject? from, JsonObject to)
    {
        var patch = new JsonObject();
        foreach (var (name, value) in to)
        {
            var old = from?[name];
            if (JsonNode.DeepEquals(old, value))
            {
                continue;
            }
            if (value is JsonObject toChild && old is JsonObject fromChild)
            {
                var child = Create(fromChild, toChild);
                if (child is not null)
                {
                    patch[name] = child;
                }
                continue;
            }
            patch[name] = value?.DeepClone();
        }
        if (from is not null)
        {
            foreach (var (name, _) in from)
            {
                if (!to.ContainsKey(name))
                {
                    patch[name] = null;
                }
            }
        }
        return patch.Count == 0 ? null : patch;
    }
}
