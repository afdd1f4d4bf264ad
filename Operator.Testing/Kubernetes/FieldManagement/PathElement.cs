using System.Text.Encodings.Web;

namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// One step of a field path, as structured-merge-diff's <c>fieldpath.PathElement</c>: a field name (<c>f:name</c>),
/// the key of an item of a map-typed list (<c>k:{"name":"x"}</c>, keys sorted by name), the value of an item of a
/// set-typed list (<c>v:"x"</c>), or a list index (<c>i:0</c>, read but never produced). Immutable; equality and
/// ordering are the real ones (fields before keys before values before indexes, values ordered numbers, strings,
/// booleans, lists, maps, null), so sets serialise in the order the real server writes them.
/// </summary>
internal sealed class PathElement : IComparable<PathElement>, IEquatable<PathElement>
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _serialized;

    private PathElement(string? field, IReadOnlyList<KeyValuePair<string, JsonNode?>>? key, JsonNode? value, bool isValue, int? index)
    {
        Field = field;
        Key = key;
        Value = value;
        IsValue = isValue;
        Index = index;
        _serialized = field is not null ? "f:" + field
            : key is not null ? "k:{" + string.Join(",", key.Select(k => Json(JsonValue.Create(k.Key)) + ":" + Json(k.Value))) + "}"
            : isValue ? "v:" + Json(value)
            : "i:" + index!.Value.ToString(CultureInfo.InvariantCulture);
    }

    public string? Field { get; }

    /// <summary>The key fields of a map-list item, sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>>? Key { get; }

    public JsonNode? Value { get; }

    public bool IsValue { get; }

    public int? Index { get; }

    private int KindOrder => Field is not null ? 0 : Key is not null ? 1 : IsValue ? 2 : 3;

    public static PathElement OfField(string name) => new(name, null, null, false, null);

    public static PathElement OfKey(IEnumerable<KeyValuePair<string, JsonNode?>> fields) =>
        new(null, fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())).ToList(), null, false, null);

    public static PathElement OfValue(JsonNode? value) => new(null, null, value?.DeepClone(), true, null);

    public static PathElement OfIndex(int index) => new(null, null, null, false, index);

    /// <summary>The FieldsV1 key: <c>f:name</c>, <c>k:{...}</c>, <c>v:...</c> or <c>i:N</c>.</summary>
    public string Serialize() => _serialized;

    /// <summary>Parses a FieldsV1 key; null for a key of an unknown kind (skipped, as the real decoder does).</summary>
    public static PathElement? Parse(string text)
    {
        if (text.Length < 2 || text[1] != ':')
        {
            throw new FormatException($"invalid path element \"{text}\"");
        }

        var body = text[2..];
        switch (text[0])
        {
            case 'f':
                return OfField(body);
            case 'v':
                return OfValue(JsonNode.Parse(body));
            case 'k':
                var obj = JsonNode.Parse(body) as JsonObject ?? throw new FormatException($"invalid key \"{text}\"");
                return OfKey(obj.Select(p => KeyValuePair.Create(p.Key, p.Value)));
            case 'i':
                return OfIndex(int.Parse(body, NumberStyles.Integer, CultureInfo.InvariantCulture));
            default:
                return null;
        }
    }

    /// <summary>As the real server prints a path in a conflict: <c>.name</c>, <c>[k="v",k2=1]</c>, <c>[="v"]</c>, <c>[0]</c>.</summary>
    public override string ToString() =>
        Field is not null ? "." + Field
        : Key is not null ? "[" + string.Join(",", Key.Select(k => k.Key + "=" + GoString(k.Value))) + "]"
        : IsValue ? "[=" + GoString(Value) + "]"
        : "[" + Index!.Value.ToString(CultureInfo.InvariantCulture) + "]";

    public int CompareTo(PathElement? other)
    {
        if (other is null)
        {
            return 1;
        }

        var kind = KindOrder.CompareTo(other.KindOrder);
        if (kind != 0)
        {
            return kind;
        }

        switch (KindOrder)
        {
            case 0:
                return string.CompareOrdinal(Field, other.Field);
            case 1:
                for (var i = 0; ; i++)
                {
                    if (i >= Key!.Count || i >= other.Key!.Count)
                    {
                        return Key.Count.CompareTo(other.Key!.Count);
                    }

                    var name = string.CompareOrdinal(Key[i].Key, other.Key[i].Key);
                    if (name != 0)
                    {
                        return name;
                    }

                    var value = CompareValues(Key[i].Value, other.Key[i].Value);
                    if (value != 0)
                    {
                        return value;
                    }
                }

            case 2:
                return CompareValues(Value, other.Value);
            default:
                return Index!.Value.CompareTo(other.Index!.Value);
        }
    }

    public bool Equals(PathElement? other) => other is not null && _serialized == other._serialized;

    public override bool Equals(object? obj) => obj is PathElement other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_serialized);

    /// <summary>structured-merge-diff's total order of values: numbers, strings, booleans, lists, maps, null.</summary>
    public static int CompareValues(JsonNode? a, JsonNode? b)
    {
        var (ka, kb) = (Rank(a), Rank(b));
        if (ka != kb)
        {
            return ka.CompareTo(kb);
        }

        switch (ka)
        {
            case 0:
                return Number(a!).CompareTo(Number(b!));
            case 1:
                return string.CompareOrdinal(a!.GetValue<string>(), b!.GetValue<string>());
            case 2:
                return a!.GetValue<bool>().CompareTo(b!.GetValue<bool>());
            case 3:
            {
                var (la, lb) = ((JsonArray)a!, (JsonArray)b!);
                for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
                {
                    var c = CompareValues(la[i], lb[i]);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return la.Count.CompareTo(lb.Count);
            }

            case 4:
                return string.CompareOrdinal(a!.ToJsonString(), b!.ToJsonString());
            default:
                return 0;
        }
    }

    private static int Rank(JsonNode? v) => v switch
    {
        null => 5,
        JsonArray => 3,
        JsonObject => 4,
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.Number => 0,
            JsonValueKind.String => 1,
            JsonValueKind.True or JsonValueKind.False => 2,
            _ => 5,
        },
        _ => 5,
    };

    private static double Number(JsonNode v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Json(JsonNode? node) => node is null ? "null" : node.ToJsonString(Compact);

    /// <summary>A value as Go's <c>%q</c>/<c>%v</c> print it in a path: strings quoted, numbers and booleans bare.</summary>
    private static string GoString(JsonNode? v) => v switch
    {
        null => "null",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => GoQuote(value.GetValue<string>()),
        _ => Json(v),
    };

    private static string GoQuote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
