using System.Text.RegularExpressions;
using Cel;

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// Validates custom resources against a CRD version's structural <c>openAPIV3Schema</c> the way kube-apiserver does:
/// pruning of unknown fields, structural defaulting, OpenAPI value validation (kube-openapi messages),
/// <c>x-kubernetes-list-type</c> set/map uniqueness, and <c>x-kubernetes-validations</c> CEL rules (including
/// transition rules with <c>oldSelf</c>). The apiserver order is: <see cref="Prune"/>, then <see cref="ApplyDefaults"/>,
/// then <see cref="Validate"/>. Construction compiles every CEL rule once and throws
/// (<see cref="CelRuleCompileException"/>, <see cref="NotSupportedException"/>) for anything it cannot honour.
/// Instances are safe for concurrent use.
/// </summary>
public sealed partial class CrdSchemaValidator
{
    private const string NotCheckedMessage =
        "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

    private static readonly string[] RootKeptFields = ["apiVersion", "kind", "metadata"];

    private readonly SchemaNode _root;
    private readonly Dictionary<SchemaNode, IReadOnlyList<CelRule>> _rules = new(ReferenceEqualityComparer.Instance);
    private readonly CelEnvironment _env;
    private readonly Lock _celLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<OutcomeKey, Outcome> _outcomes = new();
    private const int MaxCachedOutcomes = 10_000;

    public CrdSchemaValidator(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        _root = SchemaNode.Parse(openApiV3Schema, "");
        _env = CelEnvironments.Create();
        CompileRules(_root);
    }

    /// <summary>Every compiled rule as (schema path, rule text); for diagnostics and tests.</summary>
    public IReadOnlyList<(string Path, string Rule)> Rules =>
        _rules.SelectMany(kv => kv.Value.Select(r => (kv.Key.Path, r.Rule))).ToList();

    /// <summary>
    /// Removes fields the schema does not declare (structural pruning), except <c>apiVersion</c>, <c>kind</c> and
    /// <c>metadata</c> at the root (and in embedded resources) and inside <c>x-kubernetes-preserve-unknown-fields</c>.
    /// Returns the pruned field paths (kube-apiserver reports them as <c>unknown field "..."</c> warnings).
    /// </summary>
    public IReadOnlyList<string> Prune(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var pruned = new List<string>();
        PruneNode(obj, _root, null, true, pruned);
        return pruned;
    }

    /// <summary>
    /// Structural defaulting as in the apiserver (run after <see cref="Prune"/>): a property's default is set when the
    /// property is absent (or null and not nullable), at every level, inside existing objects, map values and array
    /// items (defaults of nested properties apply inside defaulted values too). Afterwards nulls of non-nullable
    /// properties without a default are dropped (PruneNonNullableNullsWithoutDefaults).
    /// </summary>
    public void ApplyDefaults(JsonObject obj) => ApplyDefaults(obj, pruneNulls: true);

    /// <summary>
    /// <see cref="ApplyDefaults(JsonObject)"/>; with <paramref name="pruneNulls"/> false, nulls without a default are
    /// kept (a server-side apply's result is defaulted but not decoded, so validation sees them).
    /// </summary>
    public void ApplyDefaults(JsonObject obj, bool pruneNulls)
    {
        ArgumentNullException.ThrowIfNull(obj);
        DefaultNode(obj, _root, pruneNulls);
    }

    /// <summary>
    /// Validates <paramref name="obj"/>; <paramref name="oldObj"/> is the stored object on update (null on create).
    /// Transition rules (those using <c>oldSelf</c>) run only where a correlated old value exists.
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? oldObj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var value = Unstructured.FromJson(obj);
        var old = oldObj is null ? null : Unstructured.FromJson(oldObj);
        var errors = new List<FieldError>();

        ValidateSchema(value, _root, "", errors);
        ValidateListTypes(value, _root, null, errors);

        // kube-apiserver (customResourceStrategy.Validate): these error types block CEL evaluation.
        if (errors.Any(e => e.Type is FieldErrorTypes.NotSupported or FieldErrorTypes.Required or FieldErrorTypes.TooLong
                or FieldErrorTypes.TooMany or FieldErrorTypes.TypeInvalid))
        {
            errors.Add(FieldErrors.Invalid("<nil>", null, NotCheckedMessage));
        }
        else
        {
            ValidateCel(value, old, oldObj is not null, _root, null, errors);
        }

        return errors;
    }

    private void CompileRules(SchemaNode node)
    {
        if (node.Validations.Count > 0)
        {
            _rules[node] = node.Validations.Select(r => new CelRule(r, node, _env)).ToList();
        }

        if (node.Properties is not null)
        {
            foreach (var child in node.Properties.Values)
            {
                CompileRules(child);
            }
        }

        if (node.AdditionalProperties is not null)
        {
            CompileRules(node.AdditionalProperties);
        }

        if (node.Items is not null)
        {
            CompileRules(node.Items);
        }
    }

    // ---------------------------------------------------------------- pruning

    private static void PruneNode(JsonNode? node, SchemaNode? schema, string? path, bool isRoot, List<string> pruned)
    {
        if (schema is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(kv => kv.Key).ToList())
                {
                    var child = obj[key];
                    if ((isRoot || schema.EmbeddedResource) && RootKeptFields.Contains(key))
                    {
                        continue;
                    }

                    if (schema.Properties is not null && schema.Properties.TryGetValue(key, out var prop))
                    {
                        PruneNode(child, prop, Child(path, key), false, pruned);
                    }
                    else if (schema.AdditionalProperties is not null)
                    {
                        PruneNode(child, schema.AdditionalProperties, Child(path, key), false, pruned);
                    }
                    else if (!schema.PreserveUnknownFields)
                    {
                        obj.Remove(key);
                        pruned.Add(Child(path, key));
                    }
                }

                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    PruneNode(arr[i], schema.Items, Index(path, i), false, pruned);
                }

                break;
        }
    }

    // ---------------------------------------------------------------- defaulting

    private static void DefaultNode(JsonNode? node, SchemaNode? schema, bool pruneNulls)
    {
        if (schema is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                if (schema.Properties is not null)
                {
                    foreach (var name in schema.PropertyOrder)
                    {
                        var prop = schema.Properties[name];
                        if (!prop.HasDefault)
                        {
                            continue;
                        }

                        if (!obj.TryGetPropertyValue(name, out var existing) || (existing is null && !prop.Nullable))
                        {
                            obj[name] = prop.Default!.DeepClone();
                        }
                    }
                }

                foreach (var key in obj.Select(kv => kv.Key).ToList())
                {
                    SchemaNode? childSchema = null;
                    if (schema.Properties is not null && schema.Properties.TryGetValue(key, out var p))
                    {
                        childSchema = p;
                    }
                    else if (schema.AdditionalProperties is not null)
                    {
                        childSchema = schema.AdditionalProperties;
                    }

                    if (childSchema is null)
                    {
                        continue;
                    }

                    var value = obj[key];
                    if (value is null)
                    {
                        if (pruneNulls && !childSchema.Nullable && !childSchema.HasDefault)
                        {
                            obj.Remove(key);
                        }

                        continue;
                    }

                    DefaultNode(value, childSchema, pruneNulls);
                }

                break;
            case JsonArray arr:
                foreach (var item in arr)
                {
                    DefaultNode(item, schema.Items, pruneNulls);
                }

                break;
        }
    }

    // ---------------------------------------------------------------- OpenAPI value validation (kube-openapi)

    private static void ValidateSchema(object? value, SchemaNode s, string name, List<FieldError> errors)
    {
        var typeText = s.IntOrString ? "integer,string" : s.Type;
        if (value is null)
        {
            if (!s.Nullable && typeText is not null)
            {
                errors.Add(FieldErrors.TypeInvalid(name, "null", $"{name} in body must be of type {typeText}: \"null\""));
            }

            return;
        }

        var actual = Unstructured.TypeName(value);
        var typeOk = s.IntOrString
            ? value is string or long || (value is double d0 && IsIntegral(d0))
            : s.Type switch
            {
                null => true,
                "object" => value is IDictionary<string, object?>,
                "array" => value is IList<object?>,
                "string" => value is string,
                "boolean" => value is bool,
                "integer" => value is long || (value is double d1 && IsIntegral(d1)),
                "number" => value is long or double,
                _ => throw new NotSupportedException($"unknown schema type '{s.Type}'"),
            };
        if (!typeOk)
        {
            errors.Add(FieldErrors.TypeInvalid(name, actual, $"{name} in body must be of type {typeText}: {GoFormat.Quote(actual)}"));
        }

        switch (value)
        {
            case string str:
                ValidateString(str, s, name, errors);
                break;
            case long or double:
                ValidateNumber(value, s, name, errors);
                break;
        }

        if (s.Enum is not null && !s.Enum.Any(e => Unstructured.DeepEquals(e, value)))
        {
            errors.Add(FieldErrors.NotSupported(name, value, s.Enum.Select(e => e as string ?? Unstructured.ToJsonText(e))));
        }

        switch (value)
        {
            case IList<object?> list:
                ValidateArray(list, s, name, errors);
                break;
            case IDictionary<string, object?> map:
                ValidateObject(map, s, name, errors);
                break;
        }
    }

    private static void ValidateString(string str, SchemaNode s, string name, List<FieldError> errors)
    {
        // kube-openapi counts Unicode code points (utf8.RuneCountInString).
        long? length = s.MaxLength is not null || s.MinLength is not null ? str.EnumerateRunes().Count() : null;
        if (s.MaxLength is { } max && length > max)
        {
            errors.Add(FieldErrors.TooLong(name, max));
        }

        if (s.MinLength is { } min && length < min)
        {
            errors.Add(FieldErrors.Invalid(name, str, $"{name} in body should be at least {min} chars long"));
        }

        if (s.PatternRegex is not null && !s.PatternRegex.IsMatch(str))
        {
            errors.Add(FieldErrors.Invalid(name, str, $"{name} in body should match '{s.Pattern}'"));
        }

        if (s.Format == "date-time" && s.Type == "string" && !DateTimeRegex().IsMatch(str))
        {
            errors.Add(FieldErrors.TypeInvalid(name, str, $"{name} in body must be of type date-time: {GoFormat.Quote(str)}"));
        }
    }

    private static void ValidateNumber(object value, SchemaNode s, string name, List<FieldError> errors)
    {
        if (s.MultipleOf is { } mult && mult > 0)
        {
            var dv = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            var q = dv / mult;
            if (Math.Abs(q - Math.Round(q)) > 1e-9)
            {
                errors.Add(FieldErrors.Invalid(name, value, $"{name} in body should be a multiple of {GoFormat.Float(mult)}"));
            }
        }

        if (s.Maximum is { } max)
        {
            bool exceeds;
            string bound;
            if (value is long l)
            {
                var m = (long)max;
                exceeds = s.ExclusiveMaximum ? l >= m : l > m;
                bound = m.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                var dv = (double)value;
                exceeds = s.ExclusiveMaximum ? dv >= max : dv > max;
                bound = GoFormat.Float(max);
            }

            if (exceeds)
            {
                var rel = s.ExclusiveMaximum ? "less than" : "less than or equal to";
                errors.Add(FieldErrors.Invalid(name, value, $"{name} in body should be {rel} {bound}"));
            }
        }

        if (s.Minimum is { } min)
        {
            bool below;
            string bound;
            if (value is long l)
            {
                var m = (long)min;
                below = s.ExclusiveMinimum ? l <= m : l < m;
                bound = m.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                var dv = (double)value;
                below = s.ExclusiveMinimum ? dv <= min : dv < min;
                bound = GoFormat.Float(min);
            }

            if (below)
            {
                var rel = s.ExclusiveMinimum ? "greater than" : "greater than or equal to";
                errors.Add(FieldErrors.Invalid(name, value, $"{name} in body should be {rel} {bound}"));
            }
        }
    }

    private static void ValidateArray(IList<object?> list, SchemaNode s, string name, List<FieldError> errors)
    {
        if (s.MinItems is { } min && list.Count < min)
        {
            errors.Add(FieldErrors.Invalid(name, (long)list.Count, $"{name} in body should have at least {min} items"));
        }

        if (s.MaxItems is { } max && list.Count > max)
        {
            errors.Add(FieldErrors.TooMany(name, list.Count, max));
        }

        if (s.Items is not null)
        {
            for (var i = 0; i < list.Count; i++)
            {
                ValidateSchema(list[i], s.Items, name + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", errors);
            }
        }
    }

    private static void ValidateObject(IDictionary<string, object?> map, SchemaNode s, string name, List<FieldError> errors)
    {
        if (s.MinProperties is { } min && map.Count < min)
        {
            errors.Add(FieldErrors.Invalid(name, (long)map.Count, $"{name} in body should have at least {min} properties"));
        }

        if (s.MaxProperties is { } max && map.Count > max)
        {
            errors.Add(FieldErrors.TooMany(name, map.Count, max));
        }

        foreach (var (key, child) in map)
        {
            if (s.Properties is not null && s.Properties.TryGetValue(key, out var prop))
            {
                ValidateSchema(child, prop, SchemaNode.Join(name, key), errors);
            }
            else if (s.AdditionalProperties is not null)
            {
                ValidateSchema(child, s.AdditionalProperties, SchemaNode.Join(name, key), errors);
            }
        }

        foreach (var req in s.Required)
        {
            if (!map.ContainsKey(req))
            {
                errors.Add(FieldErrors.Required(SchemaNode.Join(name, req), ""));
            }
        }
    }

    // ---------------------------------------------------------------- x-kubernetes-list-type (structurallisttype)

    private static void ValidateListTypes(object? value, SchemaNode? s, string? path, List<FieldError> errors)
    {
        if (s is null)
        {
            return;
        }

        switch (value)
        {
            case IList<object?> list:
                if (s.ListType == "set")
                {
                    for (var i = 1; i < list.Count; i++)
                    {
                        for (var j = 0; j < i; j++)
                        {
                            if (Unstructured.DeepEquals(list[i], list[j]))
                            {
                                errors.Add(FieldErrors.Duplicate(Index(path, i), list[i]));
                                break;
                            }
                        }
                    }
                }
                else if (s.ListType == "map")
                {
                    ValidateListMap(list, s, path, errors);
                }

                for (var i = 0; i < list.Count; i++)
                {
                    ValidateListTypes(list[i], s.Items, Index(path, i), errors);
                }

                break;
            case IDictionary<string, object?> map:
                foreach (var (key, child) in map)
                {
                    if (s.Properties is not null && s.Properties.TryGetValue(key, out var prop))
                    {
                        ValidateListTypes(child, prop, Child(path, key), errors);
                    }
                    else if (s.AdditionalProperties is not null)
                    {
                        ValidateListTypes(child, s.AdditionalProperties, Key(path, key), errors);
                    }
                }

                break;
        }
    }

    private static void ValidateListMap(IList<object?> list, SchemaNode s, string? path, List<FieldError> errors)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not null and not IDictionary<string, object?>)
            {
                errors.Add(FieldErrors.Invalid(Index(path, i), list[i], "must be an object for an array of list-type map"));
                return;
            }
        }

        var seen = new List<Dictionary<string, object?>>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not IDictionary<string, object?> item)
            {
                continue;
            }

            var keyValue = KeyValues(item, s);
            if (seen.Any(k => Unstructured.DeepEquals(k, keyValue)))
            {
                errors.Add(FieldErrors.Duplicate(Index(path, i), keyValue));
            }
            else
            {
                seen.Add(keyValue);
            }
        }
    }

    private static Dictionary<string, object?> KeyValues(IDictionary<string, object?> item, SchemaNode listSchema)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var k in listSchema.ListMapKeys)
        {
            if (item.TryGetValue(k, out var v))
            {
                result[k] = v;
            }
            else if (listSchema.Items?.Properties is { } props && props.TryGetValue(k, out var ks) && ks.HasDefault)
            {
                result[k] = Unstructured.FromJson(ks.Default);
            }
            else
            {
                result[k] = null;
            }
        }

        return result;
    }

    // ---------------------------------------------------------------- CEL (x-kubernetes-validations)

    private void ValidateCel(object? value, object? old, bool hasOld, SchemaNode s, string? path, List<FieldError> errors)
    {
        if (value is null)
        {
            return;
        }

        if (_rules.TryGetValue(s, out var rules))
        {
            EvaluateRules(rules, value, old, hasOld, s, path, errors);
        }

        switch (value)
        {
            case IDictionary<string, object?> map:
                var oldMap = hasOld ? old as IDictionary<string, object?> : null;
                foreach (var (key, child) in map)
                {
                    var childHasOld = false;
                    object? oldChild = null;
                    if (oldMap is not null && oldMap.TryGetValue(key, out var oc) && oc is not null)
                    {
                        childHasOld = true;
                        oldChild = oc;
                    }

                    if (s.Properties is not null && s.Properties.TryGetValue(key, out var prop))
                    {
                        ValidateCel(child, oldChild, childHasOld, prop, Child(path, key), errors);
                    }
                    else if (s.AdditionalProperties is not null)
                    {
                        ValidateCel(child, oldChild, childHasOld, s.AdditionalProperties, Key(path, key), errors);
                    }
                }

                break;
            case IList<object?> list when s.Items is not null:
                var oldList = hasOld ? old as IList<object?> : null;
                for (var i = 0; i < list.Count; i++)
                {
                    object? oldItem = null;
                    var itemHasOld = false;
                    if (oldList is not null && s.ListType == "map" && list[i] is IDictionary<string, object?> item)
                    {
                        // Items of x-kubernetes-list-type: map lists correlate by their keys; other lists do not correlate.
                        var keys = KeyValues(item, s);
                        oldItem = oldList.OfType<IDictionary<string, object?>>()
                            .FirstOrDefault(o => Unstructured.DeepEquals(KeyValues(o, s), keys));
                        itemHasOld = oldItem is not null;
                    }

                    ValidateCel(list[i], oldItem, itemHasOld, s.Items, Index(path, i), errors);
                }

                break;
        }
    }

    private void EvaluateRules(IReadOnlyList<CelRule> rules, object value, object? old, bool hasOld, SchemaNode s, string? path, List<FieldError> errors)
    {
        var typeValue = s.Type ?? "";
        string? valueJson = null;
        string? oldJson = null;
        object? self = null;
        object? oldSelf = null;
        var converted = false;
        foreach (var rule in rules)
        {
            if (rule.UsesOldSelf && !hasOld)
            {
                continue; // transition rules run only when there is a correlated old value
            }

            // Rules are pure functions of (self, oldSelf): memoise outcomes, since the emulator re-validates the
            // same values over and over (every status write re-validates an unchanged spec) and evaluation is slow.
            valueJson ??= System.Text.Json.JsonSerializer.Serialize(value);
            if (rule.UsesOldSelf)
            {
                oldJson ??= System.Text.Json.JsonSerializer.Serialize(old);
            }

            var key = new OutcomeKey(rule, valueJson, rule.UsesOldSelf ? oldJson : null);
            if (!_outcomes.TryGetValue(key, out var outcome))
            {
                if (!converted)
                {
                    self = CelValues.ToCel(value, s);
                    oldSelf = hasOld ? CelValues.ToCel(old, s) : null;
                    converted = true;
                }

                outcome = Evaluate(rule, self, oldSelf);
                if (_outcomes.Count >= MaxCachedOutcomes)
                {
                    _outcomes.Clear();
                }

                _outcomes[key] = outcome;
            }

            switch (outcome.Kind)
            {
                case OutcomeKind.Pass:
                    break;
                case OutcomeKind.Error:
                    errors.Add(FieldErrors.Invalid(PathText(path), typeValue, outcome.Text));
                    break;
                case OutcomeKind.Fail:
                    var fieldPath = path;
                    foreach (var part in rule.NormalizedFieldPath)
                    {
                        fieldPath = Child(fieldPath, part);
                    }

                    var field = PathText(fieldPath);
                    errors.Add(rule.Reason switch
                    {
                        FieldErrorTypes.Forbidden => FieldErrors.Forbidden(field, outcome.Text),
                        FieldErrorTypes.Required => FieldErrors.Required(field, outcome.Text),
                        FieldErrorTypes.Duplicate => FieldErrors.Duplicate(field, typeValue),
                        _ => FieldErrors.Invalid(field, typeValue, outcome.Text),
                    });
                    break;
            }
        }
    }

    private Outcome Evaluate(CelRule rule, object? self, object? oldSelf)
    {
        object? result;
        try
        {
            lock (_celLock)
            {
                result = rule.Evaluate(self, oldSelf);
            }
        }
        catch (CelNoSuchOverloadException)
        {
            return new Outcome(OutcomeKind.Error,
                $"'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {rule.RuleErrorString}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new Outcome(OutcomeKind.Error, $"{CelRule.DescribeEvaluationError(e)} evaluating rule: {rule.RuleErrorString}");
        }

        switch (result)
        {
            case true:
                return new Outcome(OutcomeKind.Pass, "");
            case false:
                string message;
                lock (_celLock)
                {
                    message = rule.EvaluateMessage(self, oldSelf) ?? rule.MessageOrDefault;
                }

                return new Outcome(OutcomeKind.Fail, message);
            default:
                var what = result is null ? "no such overload"
                    : result.GetType().Name == "CelNoSuchField" ? "no such key"
                    : $"rule evaluated to {result.GetType().Name}, not bool";
                return new Outcome(OutcomeKind.Error,
                    $"'{what}': call arguments did not match a supported operator, function or macro signature for rule: {rule.RuleErrorString}");
        }
    }

    private enum OutcomeKind
    {
        Pass,
        Fail,
        Error,
    }

    private sealed record Outcome(OutcomeKind Kind, string Text);

    private sealed record OutcomeKey(CelRule Rule, string Value, string? Old);

    // ---------------------------------------------------------------- field.Path rendering

    private static string PathText(string? path) => path ?? "<nil>";

    private static string Child(string? path, string name) => path is null ? name : path + "." + name;

    private static string Index(string? path, int i) => (path ?? "") + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Key(string? path, string key) => (path ?? "") + "[" + key + "]";

    private static bool IsIntegral(double d) => !double.IsInfinity(d) && d == Math.Floor(d);

    // Lenient RFC 3339 / ISO 8601 date-time (what strfmt's DateTime accepts, roughly).
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$")]
    private static partial Regex DateTimeRegex();
}

/// <summary>Converts unstructured values into the CLR shapes the Cel package evaluates, typed by the schema.</summary>
internal static class CelValues
{
    public static object? ToCel(object? value, SchemaNode? s)
    {
        switch (value)
        {
            case null:
                return null;
            case IDictionary<string, object?> map:
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (s?.Properties is { } props)
                {
                    foreach (var (k, v) in map)
                    {
                        if (props.TryGetValue(k, out var ps))
                        {
                            if (CelNames.Escape(k) is { } escaped)
                            {
                                result[escaped] = ToCel(v, ps);
                            }
                        }
                        else if (s.AdditionalProperties is not null)
                        {
                            result[k] = ToCel(v, s.AdditionalProperties);
                        }
                        else if (s.PreserveUnknownFields)
                        {
                            result[k] = ToCel(v, null);
                        }
                    }
                }
                else
                {
                    foreach (var (k, v) in map)
                    {
                        result[k] = ToCel(v, s?.AdditionalProperties);
                    }
                }

                return result;
            case IList<object?> list:
                var arr = new object?[list.Count];
                for (var i = 0; i < list.Count; i++)
                {
                    arr[i] = ToCel(list[i], s?.Items);
                }

                return arr;
            case long l:
                return s?.Type == "number" ? (double)l : l;
            case double d:
                return s?.Type == "integer" && d == Math.Floor(d) && !double.IsInfinity(d) ? (long)d : d;
            default:
                return value;
        }
    }
}
