using Operator.Testing.Kubernetes.Validation;
using static Operator.Tests.Kubernetes.Validation.ValidationTestSupport;

namespace Operator.Tests.Kubernetes.Validation;

/// <summary>Each CEL construct the CRDs rely on, positive and negative, plus rule plumbing (paths, messages, reasons).</summary>
[TestFixture]
public class CelRuleTests
{
    private const string Props = """
        type: object
        properties:
          s: {type: string}
          e: {type: string}
          n: {type: integer}
          b: {type: boolean}
          o: {type: object, properties: {x: {type: string}}}
          l: {type: array, items: {type: string}}
          items:
            type: array
            items: {type: object, properties: {name: {type: string}, base: {type: integer}}}
          m: {type: object, additionalProperties: {type: string}}
          namespace: {type: string}
        """;

    private static CrdSchemaValidator Rule(string rule, string? extra = null) =>
        Schema(Props + $"\nx-kubernetes-validations:\n  - rule: {Quote(rule)}\n    message: failed" + (extra is null ? "" : "\n    " + extra));

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static bool Passes(string rule, string obj) => Check(Rule(rule), obj).Count == 0;

    private static void Holds(string rule, string passing, string failing)
    {
        Passes(rule, passing).Should().BeTrue($"'{rule}' should hold for {passing}");
        var errors = Check(Rule(rule), failing);
        errors.Should().ContainSingle($"'{rule}' should fail for {failing}")
            .Which.Should().Be(new FieldError("<nil>", "FieldValueInvalid", "<nil>: Invalid value: \"object\": failed"));
    }

    [Test]
    public void Has_tests_presence_even_of_empty_values()
    {
        Holds("has(self.s)", "s: x", "n: 1");
        Holds("has(self.e)", "e: ''", "n: 1");
        Holds("has(self.l)", "l: []", "n: 1");
        Holds("has(self.o)", "o: {}", "n: 1");
        Holds("has(self.n)", "n: 0", "s: x");
        Holds("has(self.b)", "b: false", "s: x");
        Holds("!has(self.s)", "n: 1", "s: x");
        Holds("has(self.o.x)", "o: {x: y}", "o: {}");
        Holds("has(self.m.k)", "m: {k: v}", "m: {z: v}");
    }

    [Test]
    public void Has_equality_and_boolean_operators()
    {
        Holds("has(self.s) == has(self.n)", "{s: a, n: 1}", "s: a");
        Holds("!(has(self.s) && has(self.n))", "s: a", "{s: a, n: 1}");
        Holds("!has(self.s) || has(self.n)", "n: 1", "s: a");
        Holds("!has(self.s) || (has(self.n) && self.n == 2)", "{s: a, n: 2}", "{s: a, n: 3}");
    }

    [Test]
    public void All_over_list_and_map_keys()
    {
        Holds("self.l.all(x, x.startsWith('a'))", "l: [ab, ac]", "l: [ab, bc]");
        Holds("self.l.all(x, x.startsWith('a'))", "l: []", "l: [b]");
        Holds("self.m.all(k, !k.startsWith('aws:'))", "m: {Name: x}", "m: {'aws:x': y}");
        Holds("self.m.all(k, size(k) >= 1 && size(k) <= 3)", "m: {abc: x}", "m: {abcd: x}");
    }

    [Test]
    public void Exists_and_exists_one()
    {
        Holds("self.l.exists(x, x == 'a')", "l: [b, a]", "l: [b]");
        Holds("self.l.exists_one(x, x == 'a')", "l: [a, b]", "l: [a, a]");
        Holds("self.m.exists(k, k == 'Name')", "m: {Name: x}", "m: {Other: x}");
    }

    [Test]
    public void Filter_and_size()
    {
        const string rule = "self.items.filter(s, has(s.base) && s.base > 0).size() <= 1";
        Holds(rule, "items: [{name: a, base: 1}, {name: b}, {name: c, base: 0}]", "items: [{name: a, base: 1}, {name: b, base: 2}]");
        Holds("size(self.items.filter(s, has(s.base))) == 0", "items: [{name: a}]", "items: [{name: a, base: 0}]");
    }

    [Test]
    public void Map_macro()
    {
        Holds("self.items.map(s, s.name).exists(n, n == 'a')", "items: [{name: a}]", "items: [{name: b}]");
    }

    [Test]
    public void In_operator_on_lists_and_maps()
    {
        Holds("self.items.all(s, s.name in self.l)", "{l: [a, b], items: [{name: a}]}", "{l: [a], items: [{name: c}]}");
        Holds("'k' in self.m", "m: {k: v}", "m: {z: v}");
    }

    [Test]
    public void Size_of_strings_lists_and_maps()
    {
        Holds("size(self.s) == 3", "s: abc", "s: ab");
        Holds("self.s.size() == 3", "s: abc", "s: ab");
        Holds("size(self.l) < 2", "l: [a]", "l: [a, b]");
        Holds("self.m.size() == 1", "m: {a: b}", "m: {}");
    }

    [Test]
    public void String_functions_and_comparisons()
    {
        Holds("self.s.startsWith('ab')", "s: abc", "s: xbc");
        Holds("self.s.endsWith('bc')", "s: abc", "s: abx");
        Holds("self.s.contains('b')", "s: abc", "s: ac");
        Holds("self.s.matches('^[a-c]+$')", "s: abc", "s: abd");
        Holds("self.s == 'OVERRIDE'", "s: OVERRIDE", "s: NONE");
        Holds("self.s != 'OVERRIDE'", "s: NONE", "s: OVERRIDE");
        Holds("self.s < 'm'", "s: abc", "s: xyz");
        Holds("self.s >= 'm'", "s: xyz", "s: abc");
    }

    [Test]
    public void Integer_arithmetic_and_comparisons()
    {
        Holds("self.n > 0 && self.n <= 10", "n: 10", "n: 11");
        Holds("self.n + 1 == 3", "n: 2", "n: 3");
        Holds("self.n % 2 == 0", "n: 4", "n: 3");
    }

    [Test]
    public void Reserved_property_names_are_escaped_like_k8s()
    {
        Holds("self.__namespace__ == 'ns'", "namespace: ns", "namespace: other");
        var act = () => Rule("self.namespace == 'ns'");
        act.Should().Throw<CelRuleCompileException>().WithMessage("*undefined field 'namespace'*");
    }

    [Test]
    public void Transition_rule_runs_only_with_an_old_value()
    {
        var v = Schema("""
            type: object
            properties:
              spec:
                type: object
                properties:
                  name:
                    type: string
                    x-kubernetes-validations:
                      - rule: self == oldSelf
                        message: name is immutable
            """);

        Check(v, "spec: {name: a}").Should().BeEmpty("create has no old value");
        Check(v, "spec: {name: a}", "spec: {name: a}").Should().BeEmpty();
        Check(v, "spec: {name: a}", "spec: {}").Should().BeEmpty("the field did not exist before");
        Check(v, "spec: {name: b}", "spec: {name: a}").Should().Equal(
            new FieldError("spec.name", "FieldValueInvalid", "spec.name: Invalid value: \"string\": name is immutable"));
    }

    [Test]
    public void Memoised_outcomes_depend_on_both_new_and_old_values()
    {
        var v = Schema("""
            type: object
            properties:
              n:
                type: integer
                x-kubernetes-validations: [{rule: self >= oldSelf, message: may only grow}]
            """);

        for (var i = 0; i < 3; i++)
        {
            Check(v, "n: 2", "n: 1").Should().BeEmpty();
            Check(v, "n: 2", "n: 3").Should().ContainSingle().Which.Message.Should().Be("n: Invalid value: \"integer\": may only grow");
            Check(v, "n: 4", "n: 3").Should().BeEmpty();
        }
    }

    [Test]
    public void Transition_rules_correlate_list_map_items_by_key_only()
    {
        var v = Schema("""
            type: object
            properties:
              l:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
                    v: {type: integer}
                  x-kubernetes-validations:
                    - rule: self.v >= oldSelf.v
                      message: v may only grow
            """);

        Check(v, "l: [{name: b, v: 0}, {name: a, v: 2}]", "l: [{name: a, v: 1}]").Should().BeEmpty();
        Check(v, "l: [{name: b, v: 0}, {name: a, v: 0}]", "l: [{name: a, v: 1}]").Should().Equal(
            new FieldError("l[1]", "FieldValueInvalid", "l[1]: Invalid value: \"object\": v may only grow"));
    }

    [Test]
    public void FieldPath_is_appended_to_the_error_path()
    {
        var v = Schema(Props.Replace("type: object\nproperties:", "type: object\nx-kubernetes-validations:\n  - {rule: 'has(self.s)', message: s required, fieldPath: .s}\n  - {rule: 'has(self.n)', message: n required, fieldPath: \"['n']\"}\nproperties:", StringComparison.Ordinal));
        Check(v, "o: {}").Select(e => e.Message).Should().Equal(
            "s: Invalid value: \"object\": s required",
            "n: Invalid value: \"object\": n required");
    }

    [Test]
    public void Invalid_fieldPath_fails_at_construction()
    {
        var act = () => Rule("true", "fieldPath: .nope");
        act.Should().Throw<CelRuleCompileException>().WithMessage("*fieldPath*nope*");
    }

    [Test]
    public void MessageExpression_reason_and_default_message()
    {
        Check(Rule("self.n < 3", "messageExpression: \"'n is ' + string(self.n)\""), "n: 5")
            .Should().Equal(new FieldError("<nil>", "FieldValueInvalid", "<nil>: Invalid value: \"object\": n is 5"));
        Check(Rule("self.n < 3", "messageExpression: \"''\""), "n: 5").Single().Message
            .Should().EndWith(": failed", "an empty messageExpression falls back to the message");
        Check(Rule("self.n < 3", "reason: FieldValueForbidden"), "n: 5")
            .Should().Equal(new FieldError("<nil>", "FieldValueForbidden", "<nil>: Forbidden: failed"));
        Check(Rule("self.n < 3", "reason: FieldValueRequired"), "n: 5")
            .Should().Equal(new FieldError("<nil>", "FieldValueRequired", "<nil>: Required value: failed"));

        var noMessage = Schema(Props + "\nx-kubernetes-validations:\n  - rule: self.n < 3");
        Check(noMessage, "n: 5").Single().Message.Should().Be("<nil>: Invalid value: \"object\": failed rule: self.n < 3");
    }

    [Test]
    public void Rules_on_items_and_map_values_report_indexed_and_keyed_paths()
    {
        var v = Schema("""
            type: object
            properties:
              l:
                type: array
                items:
                  type: string
                  x-kubernetes-validations: [{rule: "self != 'bad'", message: no bad items}]
              m:
                type: object
                additionalProperties:
                  type: string
                  x-kubernetes-validations: [{rule: "self != 'bad'", message: no bad values}]
            """);

        Check(v, "{l: [ok, bad], m: {k: bad}}").Select(e => e.Message).Should().Equal(
            "l[1]: Invalid value: \"string\": no bad items",
            "m[k]: Invalid value: \"string\": no bad values");
    }

    [Test]
    public void Runtime_errors_are_reported_not_swallowed()
    {
        Check(Rule("self.s == 'a'"), "n: 1").Should().ContainSingle()
            .Which.Message.Should().Be("<nil>: Invalid value: \"object\": no such key: s evaluating rule: failed");
    }

    [TestCase("self.s ==", "does not")]
    [TestCase("lowerAscii(self.s) == 'a'", "function 'lowerAscii' is not supported")]
    [TestCase("self.s.lowerAscii() == 'a'", "function 'lowerAscii' is not supported")]
    [TestCase("other.s == 'a'", "undeclared reference to 'other'")]
    [TestCase("self.nope == 'a'", "undefined field 'nope'")]
    [TestCase("has(self.o.y)", "undefined field 'y'")]
    [TestCase("self.items.all(i, i.nme == 'a')", "undefined field 'nme'")]
    [TestCase("self.s.x == 'a'", "does not support field selection")]
    public void Rules_that_cannot_compile_throw_at_construction(string rule, string why)
    {
        var act = () => Rule(rule);
        act.Should().Throw<CelRuleCompileException>().WithMessage($"*{why}*");
    }

    [Test]
    public void OptionalOldSelf_is_rejected_loudly()
    {
        var act = () => Rule("true", "optionalOldSelf: true");
        act.Should().Throw<CelRuleCompileException>().WithMessage("*optionalOldSelf*");
    }
}
