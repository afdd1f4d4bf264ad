namespace Operator.Testing.Kubernetes;

/// <summary>
/// Parsed fieldSelector: comma-joined path=value, path==value, path!=value. Unlike the real server, any dotted path
/// of the object is accepted (metadata.name, metadata.namespace, involvedObject.uid, status.phase, type ...).
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string Path, bool Equal, string Value)> _terms;

    private FieldSelector(List<(string, bool, string)> terms) => _terms = terms;

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, bool, string)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ne = part.IndexOf("!=", StringComparison.Ordinal);
            if (ne > 0)
            {
                terms.Add((part[..ne], false, part[(ne + 2)..]));
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw KubeStatus.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            }

            var value = part[(eq + 1)..];
            terms.Add((part[..eq], true, value.StartsWith('=') ? value[1..] : value));
        }

        return new FieldSelector(terms);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in _terms)
        {
            var actual = JsonPaths.AsSelectorString(JsonPaths.Resolve(obj, path));
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }
}
