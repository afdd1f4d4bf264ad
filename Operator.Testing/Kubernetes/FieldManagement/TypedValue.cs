namespace Operator.Testing.Kubernetes.FieldManagement;

/// <summary>
/// The four walks of structured-merge-diff over a JSON value and its <see cref="TypeNode"/>: the set of fields a value
/// sets (<see cref="ToFieldSet"/>), the fields added, modified and removed between two values (<see cref="Compare"/>),
/// the merge of an applied configuration into a live object (<see cref="Merge"/>) and the removal of a set of fields
/// (<see cref="RemoveItems"/>), with the real rules: an atomic list or map, and an empty one, is a single leaf; items
/// of a set or map list are identified by value or key and merged in the applied order; a container emptied by a
/// removal becomes null. Inputs are never mutated; results are fresh nodes.
/// Throws <see cref="FieldManagementException"/> when an item of an associative list has no identity.
/// </summary>
internal static class TypedValue
{
    public static FieldSet ToFieldSet(JsonNode? value, TypeNode type)
    {
        var set = new FieldSet();
        Walk(value, type, [], set);
        return set;
    }

    private static void Walk(JsonNode? value, TypeNode type, List<PathElement> path, FieldSet set)
    {
        if (value is JsonObject obj && type.AsMap() is { } map)
        {
            if (map.Atomic)
            {
                set.Insert(path);
                return;
            }

            foreach (var (key, child) in obj)
            {
                var (named, childType) = map.FindField(key);
                path.Add(PathElement.OfField(key));
                Walk(child, childType, path, set);
                if (child is null || child is JsonObject { Count: 0 } || !named)
                {
                    set.Insert(path);
                }

                path.RemoveAt(path.Count - 1);
            }

            return;
        }

        if (value is JsonArray array && type.AsList() is { Relation: not ListRelation.Atomic } list)
        {
            var elements = array.Select(list.ItemElement).ToList();
            var duplicates = elements.GroupBy(e => e).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            foreach (var d in duplicates)
            {
                set.Insert([.. path, d]);
            }

            for (var i = 0; i < array.Count; i++)
            {
                if (duplicates.Contains(elements[i]))
                {
                    continue;
                }

                path.Add(elements[i]);
                Walk(array[i], list.Element, path, set);
                set.Insert(path);
                path.RemoveAt(path.Count - 1);
            }

            return;
        }

        set.Insert(path);
    }

    /// <summary>What changed from <paramref name="lhs"/> to <paramref name="rhs"/> (both whole objects).</summary>
    public static Comparison Compare(JsonNode? lhs, JsonNode? rhs, TypeNode type)
    {
        var comparison = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        Compare(Slot.Of(lhs), Slot.Of(rhs), type, [], comparison);
        return comparison;
    }

    private static void Compare(Slot l, Slot r, TypeNode type, List<PathElement> path, Comparison c)
    {
        var leaf = true;
        if (type.AsMap() is { } map && IsMapLike(l) && IsMapLike(r))
        {
            var (lo, ro) = (l.Node as JsonObject, r.Node as JsonObject);
            if (!map.Atomic && !(IsEmpty(lo) && IsEmpty(ro)))
            {
                leaf = false;
                foreach (var key in Keys(lo, ro))
                {
                    path.Add(PathElement.OfField(key));
                    Compare(Child(lo, key), Child(ro, key), map.FindField(key).Type, path, c);
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
        else if (type.AsList() is { } list && IsListLike(l) && IsListLike(r))
        {
            var (la, ra) = (l.Node as JsonArray, r.Node as JsonArray);
            if (list.Relation != ListRelation.Atomic && !(IsEmpty(la) && IsEmpty(ra)))
            {
                leaf = false;
                CompareItems(list, la, ra, path, c);
            }
        }

        if (!l.Present)
        {
            c.Added.Insert(path);
        }
        else if (!r.Present)
        {
            c.Removed.Insert(path);
        }
        else if (leaf && !JsonNode.DeepEquals(l.Node, r.Node))
        {
            c.Modified.Insert(path);
        }
    }

    private static void CompareItems(ListType list, JsonArray? la, JsonArray? ra, List<PathElement> path, Comparison c)
    {
        var order = new List<PathElement>();
        var left = Index(list, la, order);
        var right = Index(list, ra, order);
        foreach (var element in order)
        {
            var lItems = left.GetValueOrDefault(element) ?? [];
            var rItems = right.GetValueOrDefault(element) ?? [];
            path.Add(element);
            if (lItems.Count <= 1 && rItems.Count <= 1)
            {
                Compare(lItems.Count == 1 ? Slot.Of(lItems[0]) : Slot.Absent, rItems.Count == 1 ? Slot.Of(rItems[0]) : Slot.Absent, list.Element, path, c);
            }
            else if (lItems.Count >= 2 && rItems.Count >= 2)
            {
                if (lItems.Count != rItems.Count || lItems.Zip(rItems).Any(p => !JsonNode.DeepEquals(p.First, p.Second)))
                {
                    c.Modified.Insert(path);
                }
            }
            else if (lItems.Count >= 2)
            {
                if (rItems.Count == 1)
                {
                    Compare(Slot.Absent, Slot.Of(rItems[0]), list.Element, path, c);
                }

                c.Removed.Insert(path);
            }
            else
            {
                if (lItems.Count == 1)
                {
                    Compare(Slot.Of(lItems[0]), Slot.Absent, list.Element, path, c);
                }

                c.Added.Insert(path);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static Dictionary<PathElement, List<JsonNode?>> Index(ListType list, JsonArray? array, List<PathElement> order)
    {
        var index = new Dictionary<PathElement, List<JsonNode?>>();
        foreach (var item in array ?? [])
        {
            var element = list.ItemElement(item);
            if (!index.TryGetValue(element, out var items))
            {
                items = [];
                index[element] = items;
                if (!order.Contains(element))
                {
                    order.Add(element);
                }
            }

            items.Add(item);
        }

        return index;
    }

    /// <summary>Server-side apply's merge: <paramref name="config"/> wins on every leaf it sets; associative lists are united.</summary>
    public static JsonNode? Merge(JsonNode? live, JsonNode? config, TypeNode type) =>
        Merge(Slot.Of(live), Slot.Of(config), type).Node;

    private static Slot Merge(Slot l, Slot r, TypeNode type)
    {
        if (!r.Present)
        {
            return l.Present ? Slot.Of(l.Node?.DeepClone()) : Slot.Absent;
        }

        if (!l.Present)
        {
            return Slot.Of(r.Node?.DeepClone());
        }

        if (type.AsMap() is { } map && l.Node is JsonObject lo && r.Node is JsonObject ro && !map.Atomic && !(lo.Count == 0 && ro.Count == 0))
        {
            var result = new JsonObject();
            foreach (var key in Keys(lo, ro))
            {
                var merged = Merge(Child(lo, key), Child(ro, key), map.FindField(key).Type);
                if (merged.Present)
                {
                    result[key] = merged.Node;
                }
            }

            return result.Count > 0 ? Slot.Of(result) : Slot.Absent;
        }

        if (type.AsList() is { Relation: not ListRelation.Atomic } list && l.Node is JsonArray la && r.Node is JsonArray ra && !(la.Count == 0 && ra.Count == 0))
        {
            var merged = MergeItems(list, la, ra);
            return merged.Count > 0 ? Slot.Of(merged) : Slot.Absent;
        }

        return Slot.Of(r.Node?.DeepClone());
    }

    /// <summary>structured-merge-diff's list merge: live items keep their place, applied items follow the applied order.</summary>
    private static JsonArray MergeItems(ListType list, JsonArray lhs, JsonArray rhs)
    {
        var rElements = rhs.Select(list.ItemElement).ToList();
        var rObserved = new Dictionary<PathElement, JsonNode?>();
        foreach (var (element, item) in rElements.Zip(rhs))
        {
            if (!rObserved.TryAdd(element, item))
            {
                throw new FieldManagementException($"duplicate entries for key {element}");
            }
        }

        var lElements = lhs.Select(list.ItemElement).ToList();
        var lObserved = new Dictionary<PathElement, JsonNode?>();
        foreach (var (element, item) in lElements.Zip(lhs))
        {
            if (!lObserved.TryAdd(element, item))
            {
                lObserved[element] = null;
            }
        }

        var shared = new Queue<PathElement>(rElements.Where(lObserved.ContainsKey));
        PathElement? nextShared = shared.Count > 0 ? shared.Dequeue() : null;
        var mergedRhs = new HashSet<PathElement>();
        var output = new JsonArray();
        void Add(Slot merged)
        {
            if (merged.Present)
            {
                output.Add(merged.Node);
            }
        }

        for (int li = 0, ri = 0; li < lElements.Count || ri < rElements.Count;)
        {
            if (li < lElements.Count && ri < rElements.Count)
            {
                var element = lElements[li];
                if (element.Equals(rElements[ri]))
                {
                    mergedRhs.Add(element);
                    Add(Merge(Slot.Of(lObserved[element]), Slot.Of(rObserved[element]), list.Element));
                    li++;
                    ri++;
                    nextShared = shared.Count > 0 ? shared.Dequeue() : null;
                    continue;
                }

                if (rObserved.ContainsKey(element) && nextShared is not null && !nextShared.Equals(element))
                {
                    li++;
                    continue;
                }
            }

            if (li < lElements.Count)
            {
                var element = lElements[li];
                if (!rObserved.ContainsKey(element))
                {
                    Add(Merge(Slot.Of(lhs[li]), Slot.Absent, list.Element));
                    li++;
                    continue;
                }

                if (mergedRhs.Contains(element))
                {
                    li++;
                }
            }

            if (ri < rElements.Count)
            {
                var element = rElements[ri];
                mergedRhs.Add(element);
                Add(Merge(lObserved.TryGetValue(element, out var live) ? Slot.Of(live) : Slot.Absent, Slot.Of(rObserved[element]), list.Element));
                ri++;
                if (nextShared is not null && nextShared.Equals(element))
                {
                    nextShared = shared.Count > 0 ? shared.Dequeue() : null;
                }
            }
        }

        return output;
    }

    /// <summary>
    /// <paramref name="value"/> without the fields of <paramref name="toRemove"/> (a member removes its whole subtree).
    /// A map or list left with nothing becomes null, as in the real server, where the CRD or Go type then drops it.
    /// </summary>
    public static JsonNode? RemoveItems(JsonNode? value, FieldSet toRemove, TypeNode type)
    {
        if (value is JsonObject obj && type.AsMap() is { Atomic: false } map)
        {
            var result = new JsonObject();
            foreach (var (key, child) in obj)
            {
                var element = PathElement.OfField(key);
                if (toRemove.HasMember(element))
                {
                    continue;
                }

                var below = toRemove.WithPrefix(element);
                result[key] = below.IsEmpty ? child?.DeepClone() : RemoveItems(child, below, map.FindField(key).Type);
            }

            return result.Count > 0 ? result : null;
        }

        if (value is JsonArray array && type.AsList() is { Relation: not ListRelation.Atomic } list)
        {
            var result = new JsonArray();
            foreach (var item in array)
            {
                var element = list.ItemElement(item);
                if (toRemove.HasMember(element))
                {
                    continue;
                }

                var below = toRemove.WithPrefix(element);
                result.Add(below.IsEmpty ? item?.DeepClone() : RemoveItems(item, below, list.Element));
            }

            return result.Count > 0 ? result : null;
        }

        return value is JsonObject or JsonArray && !toRemove.IsEmpty ? null : value?.DeepClone();
    }

    /// <summary>Paths (<c>.spec.x</c>) of properties the type does not declare, as typing an applied configuration finds them.</summary>
    public static IReadOnlyList<string> UndeclaredFields(JsonNode? value, TypeNode type)
    {
        var found = new List<string>();
        Undeclared(value, type, "", found);
        return found;
    }

    private static void Undeclared(JsonNode? value, TypeNode type, string path, List<string> found)
    {
        if (value is JsonObject obj && type.AsMap() is { } map)
        {
            foreach (var (key, child) in obj)
            {
                var (named, childType) = map.FindField(key);
                if (!named && map.Element is null)
                {
                    found.Add($"{path}.{key}");
                    continue;
                }

                Undeclared(child, childType, $"{path}.{key}", found);
            }
        }
        else if (value is JsonArray array && type.AsList() is { } list)
        {
            for (var i = 0; i < array.Count; i++)
            {
                var item = array[i];
                var element = list.Relation == ListRelation.Atomic ? PathElement.OfIndex(i) : list.ItemElement(item);
                Undeclared(item, list.Element, path + element, found);
            }
        }
    }

    /// <summary>Drops null properties whose type is not nullable, as decoding into a Go type or a CRD's defaulting does.</summary>
    public static void DropNulls(JsonNode? value, TypeNode type)
    {
        if (value is JsonObject obj && type.AsMap() is { } map)
        {
            foreach (var (key, child) in obj.ToList())
            {
                var childType = map.FindField(key).Type;
                if (child is null && !childType.Nullable)
                {
                    obj.Remove(key);
                }
                else
                {
                    DropNulls(child, childType);
                }
            }
        }
        else if (value is JsonArray array && type.AsList() is { } list)
        {
            foreach (var item in array)
            {
                DropNulls(item, list.Element);
            }
        }
    }

    private static bool IsMapLike(Slot s) => !s.Present || s.Node is null or JsonObject;

    private static bool IsListLike(Slot s) => !s.Present || s.Node is null or JsonArray;

    private static bool IsEmpty(JsonObject? o) => o is null || o.Count == 0;

    private static bool IsEmpty(JsonArray? a) => a is null || a.Count == 0;

    private static IEnumerable<string> Keys(JsonObject? a, JsonObject? b) =>
        (a?.Select(p => p.Key) ?? []).Concat(b?.Select(p => p.Key) ?? []).Distinct(StringComparer.Ordinal);

    private static Slot Child(JsonObject? obj, string key) =>
        obj is not null && obj.TryGetPropertyValue(key, out var value) ? Slot.Of(value) : Slot.Absent;

    /// <summary>A value or its absence (JSON null is present).</summary>
    private readonly record struct Slot(bool Present, JsonNode? Node)
    {
        public static Slot Absent => default;

        public static Slot Of(JsonNode? node) => new(true, node);
    }
}

/// <summary>The fields added, modified and removed between two objects.</summary>
internal sealed record Comparison(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    public bool IsSame => Added.IsEmpty && Modified.IsEmpty && Removed.IsEmpty;

    /// <summary>Without the fields a write to this endpoint resets (status on the main resource, spec on /status).</summary>
    public Comparison Excluding(FieldSet? reset) => reset is null
        ? this
        : new Comparison(Added.RecursiveDifference(reset), Modified.RecursiveDifference(reset), Removed.RecursiveDifference(reset));
}
