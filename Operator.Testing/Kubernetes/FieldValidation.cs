using Microsoft.Extensions.Primitives;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// The apiserver's <c>fieldValidation</c> for one write request. Unknown fields (those the CRD's structural schema
/// prunes) and duplicate fields (a JSON body naming a key twice in one object) are, by mode: <c>Strict</c> (what
/// kubectl sends by default) a 400 <c>strict decoding error: unknown field "spec.x"</c>; <c>Warn</c> (the server's
/// default when the parameter is absent) pruned with one <c>Warning</c> header each; <c>Ignore</c> pruned silently.
/// Built-in kinds have no schema here, so only custom resources are checked. Field paths are dotted from the
/// object's root with list indexes, as the real server prints them (<c>spec.items[0].extra</c>).
/// </summary>
internal sealed class FieldValidation
{
    public enum Mode
    {
        Ignore,
        Warn,
        Strict,
    }

    private readonly List<string> _duplicates = [];

    private FieldValidation(Mode mode) => Validation = mode;

    /// <summary>The kind written to: set by the caller so a duplicate field can be refused before parsing.</summary>
    public ResourceType? Type { get; set; }

    public Mode Validation { get; }

    /// <summary>Warnings to send back, in the real server's wording (without the 299 header wrapping).</summary>
    public List<string> Warnings { get; } = [];

    public static FieldValidation FromQuery(StringValues value) => value.Count == 0 || string.IsNullOrEmpty(value[0])
        ? new FieldValidation(Mode.Warn)
        : value[0] switch
        {
            "Strict" => new FieldValidation(Mode.Strict),
            "Warn" => new FieldValidation(Mode.Warn),
            "Ignore" => new FieldValidation(Mode.Ignore),
            _ => throw KubeStatus.BadRequest($"fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"{value[0]}\""),
        };

    /// <summary>
    /// Parses a JSON body. Duplicate keys are refused under Strict (for kinds with a schema) and otherwise recorded
    /// for <see cref="Report"/>; the last occurrence wins, as in the apiserver's decoder.
    /// </summary>
    public JsonNode? Parse(string json)
    {
        ScanForDuplicates(json);
        if (_duplicates.Count == 0)
        {
            return JsonNode.Parse(json);
        }

        if (Validation == Mode.Strict && Type is { Validator: not null } type)
        {
            throw KubeStatus.BadRequest(
                $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", _duplicates.Select(p => $"duplicate field \"{p}\""))}");
        }

        using var document = JsonDocument.Parse(json);
        return LastWins(document.RootElement);
    }

    private static JsonNode? LastWins(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject()
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .Aggregate(new JsonObject(), (o, g) =>
            {
                o[g.Key] = LastWins(g.Last().Value);
                return o;
            }),
        JsonValueKind.Array => new JsonArray([.. element.EnumerateArray().Select(LastWins)]),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(element.Clone()),
    };

    private void ScanForDuplicates(string json)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            var stack = new Stack<(string Path, HashSet<string>? Keys, int Index)>();
            string? pendingProperty = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                    {
                        var name = reader.GetString()!;
                        var (path, keys, _) = stack.Peek();
                        var child = path.Length == 0 ? name : $"{path}.{name}";
                        if (!keys!.Add(name))
                        {
                            _duplicates.Add(child);
                        }

                        pendingProperty = child;
                        break;
                    }

                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                    {
                        var path = NextValuePath(stack, ref pendingProperty);
                        stack.Push((path, reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null, 0));
                        break;
                    }

                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.Pop();
                        break;
                    default:
                        NextValuePath(stack, ref pendingProperty);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The parse that follows reports malformed JSON.
        }
    }

    private static string NextValuePath(Stack<(string Path, HashSet<string>? Keys, int Index)> stack, ref string? pendingProperty)
    {
        if (pendingProperty is { } property)
        {
            pendingProperty = null;
            return property;
        }

        if (stack.Count == 0)
        {
            return "";
        }

        var (path, keys, index) = stack.Pop();
        stack.Push((path, keys, index + 1));
        return $"{path}[{index}]";
    }

    /// <summary>
    /// Applies the mode to the fields the schema pruned from the object the request produced: throws on Strict,
    /// else records warnings (Warn). Status paths are ignored for main-resource writes, which do not change status.
    /// </summary>
    public void Report(ResourceType type, IReadOnlyList<string> pruned, bool statusWrite)
    {
        var problems = pruned
            .Where(p => statusWrite || !(p == "status" || p.StartsWith("status.", StringComparison.Ordinal) || p.StartsWith("status[", StringComparison.Ordinal)))
            .Select(p => $"unknown field \"{p}\"")
            .Concat(_duplicates.Select(p => $"duplicate field \"{p}\""))
            .ToList();
        _duplicates.Clear();
        if (problems.Count == 0 || Validation == Mode.Ignore)
        {
            return;
        }

        if (Validation == Mode.Strict)
        {
            throw KubeStatus.BadRequest(
                $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", problems)}");
        }

        Warnings.AddRange(problems);
    }
}
