using System.Text.RegularExpressions;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel;
using Cel.Internal;

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// One compiled <c>x-kubernetes-validations</c> rule. Compilation happens once, at validator construction, and
/// fails loudly (<see cref="CelRuleCompileException"/>) for syntax errors, unknown functions, undeclared variables,
/// fields the schema does not declare, and features the Cel package cannot evaluate.
/// </summary>
internal sealed partial class CelRule
{
    // Functions the Cel 0.3.3 package implements (verified against its function table) that k8s CEL also has.
    private static readonly HashSet<string> GlobalFunctions =
    [
        "has", "size", "int", "uint", "double", "string", "bool", "bytes", "type", "dyn", "timestamp", "duration",
        "matches", "contains", "startsWith", "endsWith",
    ];

    private static readonly HashSet<string> MemberFunctions =
    [
        "size", "matches", "contains", "startsWith", "endsWith", "getDate", "getDayOfMonth", "getDayOfWeek",
        "getDayOfYear", "getFullYear", "getHours", "getMilliseconds", "getMinutes", "getMonth", "getSeconds",
    ];

    private static readonly HashSet<string> Macros = ["all", "exists", "exists_one", "filter", "map"];

    private static readonly HashSet<string> TypeNames =
        ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "type", "null_type", "dyn"];

    private static readonly HashSet<string> ValidReasons =
        [FieldErrorTypes.Invalid, FieldErrorTypes.Forbidden, FieldErrorTypes.Required, FieldErrorTypes.Duplicate];

    private readonly CelProgramDelegate _program;
    private readonly CelProgramDelegate? _messageProgram;

    public CelRule(JsonObject rule, SchemaNode schema, CelEnvironment env)
    {
        Rule = ((string?)rule["rule"] ?? "").Trim();
        Message = ((string?)rule["message"] ?? "").Trim();
        MessageExpression = (string?)rule["messageExpression"];
        Reason = (string?)rule["reason"];
        FieldPath = (string?)rule["fieldPath"];
        var where = schema.Path.Length == 0 ? "<root>" : schema.Path;

        foreach (var (key, _) in rule)
        {
            if (key is not ("rule" or "message" or "messageExpression" or "reason" or "fieldPath" or "optionalOldSelf"))
            {
                throw new CelRuleCompileException($"{where}: unknown x-kubernetes-validations key '{key}'");
            }
        }

        if ((bool?)rule["optionalOldSelf"] == true)
        {
            throw new CelRuleCompileException($"{where}: optionalOldSelf is not supported (the Cel package has no optional types): {Rule}");
        }

        if (Rule.Length == 0)
        {
            throw new CelRuleCompileException($"{where}: x-kubernetes-validations rule is empty");
        }

        if (Reason is not null && !ValidReasons.Contains(Reason))
        {
            throw new CelRuleCompileException($"{where}: unsupported reason '{Reason}' (allowed: {string.Join(", ", ValidReasons)})");
        }

        NormalizedFieldPath = FieldPath is null ? [] : NormalizeFieldPath(FieldPath, schema, where);

        (_program, UsesOldSelf) = Compile(env, Rule, schema, where, "rule");
        if (MessageExpression is not null)
        {
            (_messageProgram, _) = Compile(env, MessageExpression, schema, where, "messageExpression");
        }
    }

    public string Rule { get; }

    public string Message { get; }

    public string? MessageExpression { get; }

    public string? Reason { get; }

    public string? FieldPath { get; }

    public IReadOnlyList<string> NormalizedFieldPath { get; }

    /// <summary>True for transition rules (they reference <c>oldSelf</c>).</summary>
    public bool UsesOldSelf { get; }

    /// <summary>k8s ruleErrorString: the message when set, else the rule.</summary>
    public string RuleErrorString => Message.Length > 0 ? Message : Rule;

    /// <summary>k8s ruleMessageOrDefault.</summary>
    public string MessageOrDefault => Message.Length > 0 ? Message : "failed rule: " + RuleErrorString;

    public object? Evaluate(object? self, object? oldSelf)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal) { ["self"] = self };
        if (UsesOldSelf)
        {
            vars["oldSelf"] = oldSelf;
        }

        return _program(vars);
    }

    /// <summary>Evaluates messageExpression; null when absent, failing, empty, multi-line or not a string (k8s falls back to the message).</summary>
    public string? EvaluateMessage(object? self, object? oldSelf)
    {
        if (_messageProgram is null)
        {
            return null;
        }

        try
        {
            var vars = new Dictionary<string, object?>(StringComparer.Ordinal) { ["self"] = self, ["oldSelf"] = oldSelf };
            var result = _messageProgram(vars);
            if (result is string s && s.Trim().Length > 0 && !s.Contains('\n', StringComparison.Ordinal) && !s.Contains('\r', StringComparison.Ordinal))
            {
                return s.Trim();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // k8s logs and falls back to the static message.
        }

        return null;
    }

    /// <summary>Maps an evaluation exception to the error text k8s would print (best effort).</summary>
    public static string DescribeEvaluationError(Exception e)
    {
        var msg = e.Message;
        var m = NoSuchFieldRegex().Match(msg);
        if (m.Success)
        {
            return "no such key: " + m.Groups[1].Value;
        }

        return msg;
    }

    private static (CelProgramDelegate Program, bool UsesOldSelf) Compile(CelEnvironment env, string expression, SchemaNode schema, string where, string what)
    {
        CelProgramDelegate program;
        CelParser.StartContext tree;
        try
        {
            tree = env.Parse(expression);
            if (tree.exception is not null || HasErrorNode(tree))
            {
                throw new CelRuleCompileException($"{where}: {what} does not parse: {expression}");
            }

            program = env.Compile(expression);
        }
        catch (CelRuleCompileException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new CelRuleCompileException($"{where}: {what} does not compile: {expression}: {e.Message}", e);
        }

        var checker = new StaticChecker(expression, where);
        checker.Check(tree.e, new Dictionary<string, SchemaNode?>(StringComparer.Ordinal)
        {
            ["self"] = schema,
            ["oldSelf"] = schema,
        });
        return (program, checker.UsesOldSelf);
    }

    private static bool HasErrorNode(IParseTree node)
    {
        if (node is IErrorNode)
        {
            return true;
        }

        for (var i = 0; i < node.ChildCount; i++)
        {
            if (HasErrorNode(node.GetChild(i)))
            {
                return true;
            }
        }

        return false;
    }

    private static IReadOnlyList<string> NormalizeFieldPath(string fieldPath, SchemaNode schema, string where)
    {
        // k8s: a path of property selections (.foo, ['foo.bar']) that must exist in the schema; no list indexes.
        var parts = new List<string>();
        var node = schema;
        var i = 0;
        while (i < fieldPath.Length)
        {
            string name;
            if (fieldPath[i] == '.')
            {
                var m = IdentRegex().Match(fieldPath, i + 1);
                if (!m.Success || m.Index != i + 1)
                {
                    throw new CelRuleCompileException($"{where}: invalid fieldPath '{fieldPath}'");
                }

                name = m.Value;
                i = i + 1 + m.Length;
            }
            else if (fieldPath[i] == '[')
            {
                var m = BracketRegex().Match(fieldPath, i);
                if (!m.Success || m.Index != i)
                {
                    throw new CelRuleCompileException($"{where}: invalid fieldPath '{fieldPath}' (list indexes are not supported)");
                }

                name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
                i += m.Length;
            }
            else
            {
                throw new CelRuleCompileException($"{where}: invalid fieldPath '{fieldPath}'");
            }

            if (node.Properties is not null && node.Properties.TryGetValue(name, out var child))
            {
                node = child;
            }
            else if (node.AdditionalProperties is not null)
            {
                node = node.AdditionalProperties;
            }
            else
            {
                throw new CelRuleCompileException($"{where}: fieldPath '{fieldPath}' refers to '{name}', which the schema does not declare");
            }

            parts.Add(name);
        }

        if (parts.Count == 0)
        {
            throw new CelRuleCompileException($"{where}: invalid fieldPath '{fieldPath}'");
        }

        return parts;
    }

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex IdentRegex();

    [GeneratedRegex(@"\[(?:'([^']*)'|""([^""]*)"")\]")]
    private static partial Regex BracketRegex();

    [GeneratedRegex(@"select field '([^']*)'")]
    private static partial Regex NoSuchFieldRegex();

    /// <summary>
    /// A small static checker over the ANTLR tree, standing in for the CEL type-checker k8s runs at CRD creation:
    /// undeclared identifiers, unknown functions/macros, fields the schema does not declare, non-ident macro variables.
    /// </summary>
    private sealed class StaticChecker(string expression, string where)
    {
        private static readonly SchemaNode StringType = new() { Path = "<string>" };

        public bool UsesOldSelf { get; private set; }

        public SchemaNode? Check(IParseTree node, Dictionary<string, SchemaNode?> scope)
        {
            switch (node)
            {
                case CelParser.IdentOrGlobalCallContext call:
                {
                    var name = call.id.Text;
                    if (call.op is not null)
                    {
                        if (!GlobalFunctions.Contains(name))
                        {
                            throw Fail($"function '{name}' is not supported");
                        }

                        var args = Args(call.args);
                        if (name == "has" && (args.Count != 1 || Unwrap(args[0]) is not CelParser.SelectContext))
                        {
                            throw Fail("has() requires a field selection argument, e.g. has(self.field)");
                        }

                        foreach (var a in args)
                        {
                            Check(a, scope);
                        }

                        return null;
                    }

                    if (name == "oldSelf")
                    {
                        UsesOldSelf = true;
                    }

                    if (scope.TryGetValue(name, out var t))
                    {
                        return t;
                    }

                    if (TypeNames.Contains(name))
                    {
                        return null;
                    }

                    throw Fail($"undeclared reference to '{name}'");
                }

                case CelParser.SelectContext select:
                {
                    if (select.opt is not null)
                    {
                        throw Fail("optional field selection (.?) is not supported");
                    }

                    var t = Check(select.member(), scope);
                    var field = select.id.Text;
                    if (t is null || t.PreserveUnknownFields || ReferenceEquals(t, StringType))
                    {
                        return null;
                    }

                    if (t.Properties is not null)
                    {
                        if (t.CelPropertyNames.TryGetValue(field, out var prop))
                        {
                            return t.Properties[prop];
                        }

                        throw Fail($"undefined field '{field}'");
                    }

                    if (t.AdditionalProperties is not null)
                    {
                        return t.AdditionalProperties;
                    }

                    if (t.Type is "string" or "integer" or "number" or "boolean" or "array")
                    {
                        throw Fail($"type '{t.Type}' does not support field selection ('{field}')");
                    }

                    return null;
                }

                case CelParser.MemberCallContext mc:
                {
                    var t = Check(mc.member(), scope);
                    var name = mc.id.Text;
                    var args = Args(mc.args);
                    if (Macros.Contains(name) && args.Count is 2 or 3)
                    {
                        if (Unwrap(args[0]) is not CelParser.IdentOrGlobalCallContext { op: null } v)
                        {
                            throw Fail($"the first argument of {name}() must be a simple identifier");
                        }

                        SchemaNode? element = t switch
                        {
                            null => null,
                            { Type: "array" } => t.Items,
                            { IsMap: true } => StringType,
                            { Type: "object" } => throw Fail($"{name}() over an object with fixed properties is not supported"),
                            { Type: "string" or "integer" or "number" or "boolean" } => throw Fail($"{name}() is not defined on type '{t.Type}'"),
                            _ => null,
                        };
                        if (args.Count == 3 && name != "map")
                        {
                            throw Fail($"{name}() takes two arguments");
                        }

                        var inner = new Dictionary<string, SchemaNode?>(scope, StringComparer.Ordinal) { [v.id.Text] = element };
                        for (var i = 1; i < args.Count; i++)
                        {
                            Check(args[i], inner);
                        }

                        return name == "filter" ? t : null;
                    }

                    if (!MemberFunctions.Contains(name))
                    {
                        throw Fail($"function '{name}' is not supported");
                    }

                    foreach (var a in args)
                    {
                        Check(a, scope);
                    }

                    return null;
                }

                case CelParser.IndexContext index:
                {
                    var t = Check(index.member(), scope);
                    Check(index.index, scope);
                    if (index.opt is not null)
                    {
                        throw Fail("optional indexing ([?]) is not supported");
                    }

                    return t switch
                    {
                        { Type: "array" } => t.Items,
                        { IsMap: true } => t.AdditionalProperties,
                        _ => null,
                    };
                }

                case CelParser.CreateMessageContext:
                    throw Fail("message construction is not supported");

                case CelParser.NestedContext nested:
                    return Check(nested.e, scope);

                case ITerminalNode:
                    return null;
            }

            // Pass-through nodes (expr, conditionalOr, ... with a single child) keep the child's type.
            SchemaNode? last = null;
            var ruleChildren = 0;
            for (var i = 0; i < node.ChildCount; i++)
            {
                var child = node.GetChild(i);
                if (child is ITerminalNode)
                {
                    continue;
                }

                ruleChildren++;
                last = Check(child, scope);
            }

            return ruleChildren == 1 && node.ChildCount == 1 ? last : null;
        }

        private static List<IParseTree> Args(CelParser.ExprListContext? list) =>
            list is null ? [] : list._e.Cast<IParseTree>().ToList();

        private static IParseTree Unwrap(IParseTree node)
        {
            while (node.ChildCount == 1 && node.GetChild(0) is not ITerminalNode && node is not CelParser.SelectContext)
            {
                node = node.GetChild(0);
            }

            return node;
        }

        private CelRuleCompileException Fail(string why) =>
            new($"{where}: rule does not compile: {why}: {expression}");
    }
}

/// <summary>A CEL rule (or messageExpression) that cannot be compiled or evaluated by this validator.</summary>
public sealed class CelRuleCompileException : Exception
{
    public CelRuleCompileException(string message) : base(message)
    {
    }

    public CelRuleCompileException(string message, Exception inner) : base(message, inner)
    {
    }

    public CelRuleCompileException()
    {
    }
}

/// <summary>Creates the CEL environment with the k8s <c>has()</c> semantics (presence, not "non-default").</summary>
internal static class CelEnvironments
{
    public static CelEnvironment Create()
    {
        var env = new CelEnvironment(null, null);

        // Cel's has() treats "", [], {} and 0-like values as absent (proto3 semantics); k8s has() tests presence only.
        // A missing key makes field selection yield Cel's internal CelNoSuchField marker.
        env.RegisterFunction("has", [typeof(object)], args =>
            args.Length == 1 && args[0] is not null && args[0]!.GetType().Name != "CelNoSuchField");
        return env;
    }
}
