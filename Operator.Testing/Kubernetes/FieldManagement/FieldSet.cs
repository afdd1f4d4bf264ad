namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// A set of field paths, as structured-merge-diff's <c>fieldpath.Set</c>: at each level, the members (paths that end
/// here) and the children (paths that go deeper). A path can be both, which FieldsV1 writes as <c>".": {}</c> inside
/// the child. Operations never mutate their operands except <see cref="Insert"/>; empty children are never kept, so
/// <see cref="IsEmpty"/> and equality are structural.
/// </summary>
internal sealed class FieldSet
{
    private readonly SortedSet<PathElement> _members = [];
    private readonly SortedDictionary<PathElement, FieldSet> _children = [];

    public bool IsEmpty => _members.Count == 0 && _children.Count == 0;

    public IReadOnlyCollection<PathElement> Members => _members;

    public IReadOnlyDictionary<PathElement, FieldSet> Children => _children;

    /// <summary>A set of top-level fields.</summary>
    public static FieldSet Of(IEnumerable<string> fields)
    {
        var set = new FieldSet();
        foreach (var f in fields)
        {
            set.Insert([PathElement.OfField(f)]);
        }

        return set;
    }

    public void Insert(IReadOnlyList<PathElement> path)
    {
        if (path.Count == 0)
        {
            return;
        }

        var node = this;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (!node._children.TryGetValue(path[i], out var child))
            {
                child = new FieldSet();
                node._children[path[i]] = child;
            }

            node = child;
        }

        node._members.Add(path[^1]);
    }

    public bool Has(IReadOnlyList<PathElement> path)
    {
        var node = this;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (!node._children.TryGetValue(path[i], out node))
            {
                return false;
            }
        }

        return path.Count > 0 && node._members.Contains(path[^1]);
    }

    public bool HasMember(PathElement element) => _members.Contains(element);

    /// <summary>The paths below <paramref name="element"/>, relative to it (empty when none).</summary>
    public FieldSet WithPrefix(PathElement element) => _children.TryGetValue(element, out var child) ? child : new FieldSet();

    public FieldSet Union(FieldSet other)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members);
        result._members.UnionWith(other._members);
        foreach (var key in _children.Keys.Union(other._children.Keys))
        {
            var child = (_children.GetValueOrDefault(key), other._children.GetValueOrDefault(key)) switch
            {
                ({ } a, { } b) => a.Union(b),
                ({ } a, null) => a.Clone(),
                (null, { } b) => b.Clone(),
                _ => new FieldSet(),
            };
            result.AddChild(key, child);
        }

        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members.Where(other._members.Contains));
        foreach (var (key, child) in _children)
        {
            if (other._children.TryGetValue(key, out var theirs))
            {
                result.AddChild(key, child.Intersection(theirs));
            }
        }

        return result;
    }

    /// <summary>Paths of this set not in <paramref name="other"/>; a member of other does not remove paths below it.</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members.Where(m => !other._members.Contains(m)));
        foreach (var (key, child) in _children)
        {
            result.AddChild(key, other._children.TryGetValue(key, out var theirs) ? child.Difference(theirs) : child.Clone());
        }

        return result;
    }

    /// <summary>As <see cref="Difference"/>, but a member of <paramref name="other"/> removes everything below it too.</summary>
    public FieldSet RecursiveDifference(FieldSet other)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members.Where(m => !other._members.Contains(m)));
        foreach (var (key, child) in _children)
        {
            if (other._members.Contains(key))
            {
                continue;
            }

            result.AddChild(key, other._children.TryGetValue(key, out var theirs) ? child.RecursiveDifference(theirs) : child.Clone());
        }

        return result;
    }

    /// <summary>
    /// This set plus every named field (a property of a structure in <paramref name="type"/>) that has paths below it
    /// as a member, as structured-merge-diff's <c>EnsureNamedFieldsAreMembers</c>: what the prune of an apply removes.
    /// </summary>
    public FieldSet EnsureNamedFieldsAreMembers(TypeNode type)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members);
        var map = type.AsMap();
        var list = type.AsList();
        foreach (var (key, child) in _children)
        {
            TypeNode childType = TypeNode.Unknown;
            if (key.Field is { } name && map is not null)
            {
                var (named, fieldType) = map.FindField(name);
                childType = fieldType;
                if (named)
                {
                    result._members.Add(key);
                }
            }
            else if (key.Key is not null && list is not null)
            {
                childType = list.Element;
            }

            result.AddChild(key, child.EnsureNamedFieldsAreMembers(childType));
        }

        return result;
    }

    /// <summary>Every path of the set, members of a level before the paths below it, as the real server iterates.</summary>
    public IEnumerable<IReadOnlyList<PathElement>> Paths()
    {
        foreach (var m in _members)
        {
            yield return [m];
        }

        foreach (var (key, child) in _children)
        {
            foreach (var p in child.Paths())
            {
                yield return [key, .. p];
            }
        }
    }

    public static string PathString(IReadOnlyList<PathElement> path) => string.Concat(path.Select(p => p.ToString()));

    /// <summary>The FieldsV1 JSON of the set.</summary>
    public JsonObject ToFieldsV1()
    {
        var obj = new JsonObject();
        Emit(obj, includeSelf: false);
        return obj;
    }

    private void Emit(JsonObject into, bool includeSelf)
    {
        if (includeSelf)
        {
            into["."] = new JsonObject();
        }

        foreach (var key in _members.Union(_children.Keys).Order())
        {
            var entry = new JsonObject();
            if (_children.TryGetValue(key, out var child))
            {
                child.Emit(entry, _members.Contains(key));
            }

            into[key.Serialize()] = entry;
        }
    }

    /// <summary>Parses FieldsV1; throws <see cref="FormatException"/> (or a JSON exception) when it is not valid.</summary>
    public static FieldSet FromFieldsV1(JsonNode? fields)
    {
        if (fields is null)
        {
            return new FieldSet();
        }

        var (set, _) = Read(fields as JsonObject ?? throw new FormatException("FieldsV1 must be a JSON object"));
        return set ?? new FieldSet();
    }

    private static (FieldSet? Children, bool IsMember) Read(JsonObject obj)
    {
        FieldSet? children = null;
        var isMember = false;
        foreach (var (key, value) in obj)
        {
            if (key == ".")
            {
                isMember = true;
                continue;
            }

            if (PathElement.Parse(key) is not { } element)
            {
                continue;
            }

            var (grandchildren, childIsMember) = Read(value as JsonObject ?? throw new FormatException($"FieldsV1 entry \"{key}\" must be a JSON object"));
            if (childIsMember)
            {
                children ??= new FieldSet();
                children._members.Add(element);
            }

            if (grandchildren is not null)
            {
                children ??= new FieldSet();
                children.AddChild(element, grandchildren);
            }
        }

        return (children, isMember || children is null);
    }

    public override bool Equals(object? obj) => obj is FieldSet other && ToFieldsV1().ToJsonString() == other.ToFieldsV1().ToJsonString();

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToFieldsV1().ToJsonString());

    public override string ToString() => ToFieldsV1().ToJsonString();

    private FieldSet Clone() => Union(new FieldSet());

    private void AddChild(PathElement key, FieldSet child)
    {
        if (!child.IsEmpty)
        {
            _children[key] = child;
        }
    }
}
