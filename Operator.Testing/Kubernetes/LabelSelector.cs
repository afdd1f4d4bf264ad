namespace Operator.Testing.Kubernetes;

/// <summary>
/// Parsed labelSelector query parameter: =, ==, !=, in, notin, exists ("key") and !exists ("!key"), comma-joined
/// (commas inside "(...)" belong to the value set). Bad syntax is a 400 like the real server.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var reqs = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            reqs.Add(ParseRequirement(part.Trim()));
        }

        return new LabelSelector(reqs);
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (var r in _requirements)
        {
            string? value = labels is not null && labels.TryGetPropertyValue(r.Key, out var v) ? JsonPaths.AsSelectorString(v) : null;
            var ok = r.Op switch
            {
                "exists" => value is not null,
                "!exists" => value is null,
                "=" => value is not null && value == r.Values[0],
                "!=" => value is null || value != r.Values[0],
                "in" => value is not null && r.Values.Contains(value),
                "notin" => value is null || !r.Values.Contains(value),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part)
    {
        if (part.Length == 0)
        {
            throw KubeStatus.BadRequest("unable to parse requirement: found '', expected: identifier");
        }

        if (part.StartsWith('!'))
        {
            return new Requirement(ValidKey(part[1..].Trim()), "!exists", []);
        }

        var ops = new[] { "!=", "==", "=" };
        foreach (var op in ops)
        {
            var idx = part.IndexOf(op, StringComparison.Ordinal);
            if (idx > 0)
            {
                return new Requirement(ValidKey(part[..idx].Trim()), op == "==" ? "=" : op, [part[(idx + op.Length)..].Trim()]);
            }
        }

        var paren = part.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0 && part.EndsWith(')'))
        {
            var head = part[..paren].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (head.Length == 2 && head[1] is "in" or "notin")
            {
                var values = part[(paren + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                return new Requirement(ValidKey(head[0]), head[1], values);
            }
        }

        if (!part.Contains(' ', StringComparison.Ordinal))
        {
            return new Requirement(ValidKey(part), "exists", []);
        }

        throw KubeStatus.BadRequest($"unable to parse requirement: {part}");
    }

    private static string ValidKey(string key)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '!' or '=' or ','))
        {
            throw KubeStatus.BadRequest($"unable to parse requirement: invalid label key \"{key}\"");
        }

        return key;
    }

    private sealed record Requirement(string Key, string Op, string[] Values);
}
