using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Operator.Testing.Yaml;

/// <summary>
/// Converts YAML documents to JSON nodes the way kubectl's go-yaml does: explicit tags (!!str, !!int ...) win; plain
/// scalars become null, booleans (YAML 1.1 words such as yes/on included, single letters y/n not), integers (also
/// hex and with underscores) or floats where they look like one; quoted and block scalars stay strings. Comments are
/// dropped; anchors and aliases are resolved by YamlDotNet. The one YAML reader of the tests, the emulators and the
/// local mode.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Every non-empty document of the stream, in order.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Where(d => !(d.RootNode is YamlScalarNode { Value: null or "" } && d.RootNode.Tag.IsEmpty))
            .Select(d => Convert(d.RootNode))
            .ToList();
    }

    /// <summary>The first document, or null when there is none.</summary>
    public static JsonNode? Parse(string yaml) => ParseAll(yaml).FirstOrDefault();

    /// <summary>The single document of <paramref name="yaml"/> as an object; throws when there is not exactly one.</summary>
    public static JsonObject ParseObject(string yaml)
    {
        var docs = ParseAll(yaml);
        if (docs is not [JsonObject obj])
        {
            throw new FormatException($"expected exactly one YAML document holding a mapping, found {docs.Count}");
        }
        return obj;
    }

    /// <summary>The JSON form of one YAML node.</summary>
    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMapping(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => throw new FormatException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonObject ConvertMapping(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            obj[name] = Convert(value);
        }
        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is not null)
        {
            return tag switch
            {
                "tag:yaml.org,2002:str" => JsonValue.Create(value),
                "tag:yaml.org,2002:int" => JsonValue.Create(long.Parse(value, CultureInfo.InvariantCulture)),
                "tag:yaml.org,2002:float" => JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture)),
                "tag:yaml.org,2002:bool" => JsonValue.Create(ParseBool(value) ?? throw new InvalidDataException($"not a bool: {value}")),
                "tag:yaml.org,2002:null" => null,
                _ => JsonValue.Create(value),
            };
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (ParseBool(value) is { } b)
        {
            return JsonValue.Create(b);
        }

        var plain = value.Replace("_", "", StringComparison.Ordinal);
        if (IntRegex().IsMatch(plain))
        {
            if (long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return JsonValue.Create(l);
            }

            return JsonValue.Create(double.Parse(plain, CultureInfo.InvariantCulture));
        }

        if (HexRegex().IsMatch(plain))
        {
            var neg = plain.StartsWith('-');
            var digits = plain.TrimStart('+', '-')[2..];
            var l = long.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            return JsonValue.Create(neg ? -l : l);
        }

        if (FloatRegex().IsMatch(plain))
        {
            return JsonValue.Create(double.Parse(plain, CultureInfo.InvariantCulture));
        }

        return JsonValue.Create(value);
    }

    private static bool? ParseBool(string value) => value switch
    {
        // go-yaml v2 (YAML 1.1) booleans; the single letters y/Y/n/N are deliberately left as strings.
        "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON" => true,
        "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntRegex();

    [GeneratedRegex(@"^[-+]?0x[0-9a-fA-F]+$")]
    private static partial Regex HexRegex();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();
}
