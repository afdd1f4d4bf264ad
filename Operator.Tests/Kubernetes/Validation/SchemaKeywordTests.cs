using Operator.Testing.Kubernetes.Validation;
using static Operator.Tests.Kubernetes.Validation.ValidationTestSupport;

namespace Operator.Tests.Kubernetes.Validation;

/// <summary>One positive and one negative case per supported schema keyword, with the exact kube-apiserver text.</summary>
[TestFixture]
public class SchemaKeywordTests
{
    private static IReadOnlyList<string> Messages(string schemaYaml, string objYaml) =>
        Check(Schema(schemaYaml), objYaml).Select(e => e.Message).ToList();

    private static void Valid(string schemaYaml, string objYaml) => Messages(schemaYaml, objYaml).Should().BeEmpty();

    private static void Invalid(string schemaYaml, string objYaml, params string[] expected) =>
        Messages(schemaYaml, objYaml).Should().Equal(expected);

    private const string Obj = "type: object\nproperties:\n";

    [Test]
    public void Type_string()
    {
        const string s = Obj + "  a: {type: string}";
        Valid(s, "a: x");
        Invalid(s, "a: 1", "a: Invalid value: \"integer\": a in body must be of type string: \"integer\"",
            "<nil>: Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation");
        Check(Schema(s), "a: 1")[0].Type.Should().Be("FieldValueTypeInvalid");
    }

    [Test]
    public void Type_integer_accepts_integral_numbers_only()
    {
        const string s = Obj + "  a: {type: integer}";
        Valid(s, "a: 3");
        Valid(s, "a: 3.0");
        Messages(s, "a: 3.5")[0].Should().Be("a: Invalid value: \"number\": a in body must be of type integer: \"number\"");
        Messages(s, "a: '3'")[0].Should().Be("a: Invalid value: \"string\": a in body must be of type integer: \"string\"");
    }

    [Test]
    public void Type_number_boolean_object_array()
    {
        const string s = Obj + "  n: {type: number}\n  b: {type: boolean}\n  o: {type: object}\n  l: {type: array, items: {type: string}}";
        Valid(s, "{n: 1.5, b: true, o: {}, l: [x]}");
        Valid(s, "{n: 2}");
        Messages(s, "{b: 'true'}")[0].Should().Be("b: Invalid value: \"string\": b in body must be of type boolean: \"string\"");
        Messages(s, "{o: [1]}")[0].Should().Be("o: Invalid value: \"array\": o in body must be of type object: \"array\"");
        Messages(s, "{l: {a: b}}")[0].Should().Be("l: Invalid value: \"object\": l in body must be of type array: \"object\"");
        Messages(s, "{n: x}")[0].Should().Be("n: Invalid value: \"string\": n in body must be of type number: \"string\"");
    }

    [Test]
    public void Nullable()
    {
        Valid(Obj + "  a: {type: string, nullable: true}", "a: null");
        Messages(Obj + "  a: {type: string}", "a: null")[0].Should().Be("a: Invalid value: \"null\": a in body must be of type string: \"null\"");
    }

    [Test]
    public void Required()
    {
        const string s = "type: object\nrequired: [spec]\nproperties:\n  spec:\n    type: object\n    required: [name]\n    properties:\n      name: {type: string}";
        Valid(s, "spec: {name: x}");
        Messages(s, "spec: {}")[0].Should().Be("spec.name: Required value");
        Messages(s, "{}")[0].Should().Be("spec: Required value");
        Check(Schema(s), "{}")[0].Should().Be(new FieldError("spec", "FieldValueRequired", "spec: Required value"));
    }

    [Test]
    public void Enum()
    {
        const string s = Obj + "  a: {type: string, enum: [x, y]}\n  n: {type: integer, enum: [1, 2]}";
        Valid(s, "{a: x, n: 2}");
        Messages(s, "a: z")[0].Should().Be("a: Unsupported value: \"z\": supported values: \"x\", \"y\"");
        Messages(s, "n: 3")[0].Should().Be("n: Unsupported value: 3: supported values: \"1\", \"2\"");
        Check(Schema(s), "a: z")[0].Type.Should().Be("FieldValueNotSupported");
    }

    [Test]
    public void Minimum_and_maximum()
    {
        const string s = Obj + "  a: {type: integer, minimum: 0, maximum: 10}";
        Valid(s, "a: 0");
        Valid(s, "a: 10");
        Invalid(s, "a: -1", "a: Invalid value: -1: a in body should be greater than or equal to 0");
        Invalid(s, "a: 11", "a: Invalid value: 11: a in body should be less than or equal to 10");
    }

    [Test]
    public void Exclusive_minimum_and_maximum()
    {
        const string s = Obj + "  a: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 1.5, exclusiveMaximum: true}";
        Valid(s, "a: 0.5");
        Invalid(s, "a: 0", "a: Invalid value: 0: a in body should be greater than 0");
        Invalid(s, "a: 1.5", "a: Invalid value: 1.5: a in body should be less than 1.5");
    }

    [Test]
    public void MultipleOf()
    {
        const string s = Obj + "  a: {type: integer, multipleOf: 5}";
        Valid(s, "a: 10");
        Invalid(s, "a: 7", "a: Invalid value: 7: a in body should be a multiple of 5");
    }

    [Test]
    public void MinLength_and_maxLength_count_characters()
    {
        const string s = Obj + "  a: {type: string, minLength: 2, maxLength: 3}";
        Valid(s, "a: ab");
        Valid(s, "a: ééé");
        Valid(s, "a: 😀😀😀");
        Invalid(s, "a: a", "a: Invalid value: \"a\": a in body should be at least 2 chars long");
        Messages(s, "a: abcd")[0].Should().Be("a: Too long: may not be more than 3 bytes");
        Check(Schema(s), "a: abcd")[0].Type.Should().Be("FieldValueTooLong");
    }

    [Test]
    public void Pattern()
    {
        const string s = Obj + "  a: {type: string, pattern: '^[a-z]+$'}";
        Valid(s, "a: abc");
        Invalid(s, "a: aBc", "a: Invalid value: \"aBc\": a in body should match '^[a-z]+$'");
    }

    [Test]
    public void Pattern_behaves_like_re2_for_end_anchor_and_word_characters()
    {
        const string s = Obj + "  a: {type: string, pattern: '^[\\w-]+$'}\n  b: {type: string, pattern: '^x[$]y'}";
        Valid(s, "a: abc_1-2");
        Valid(s, "b: x$y");
        Messages(s, "a: \"abc\\n\"").Should().ContainSingle().Which.Should().Contain("should match");
        Messages(s, "a: é").Should().ContainSingle().Which.Should().Contain("should match");
    }

    [Test]
    public void MinItems_and_maxItems()
    {
        const string s = Obj + "  l: {type: array, minItems: 1, maxItems: 2, items: {type: string}}";
        Valid(s, "l: [a, b]");
        Invalid(s, "l: []", "l: Invalid value: 0: l in body should have at least 1 items");
        Messages(s, "l: [a, b, c]")[0].Should().Be("l: Too many: 3: must have at most 2 items");
        Check(Schema(s), "l: [a, b, c]")[0].Type.Should().Be("FieldValueTooMany");
    }

    [Test]
    public void MinProperties_and_maxProperties()
    {
        const string s = Obj + "  m: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: {type: string}}";
        Valid(s, "m: {a: x}");
        Invalid(s, "m: {}", "m: Invalid value: 0: m in body should have at least 1 properties");
        Messages(s, "m: {a: x, b: y, c: z}")[0].Should().Be("m: Too many: 3: must have at most 2 items");
    }

    [Test]
    public void AdditionalProperties_schema_validates_every_value()
    {
        const string s = Obj + "  m: {type: object, additionalProperties: {type: string, maxLength: 2}}";
        Valid(s, "m: {a: xy}");
        Messages(s, "m: {a: xyz}")[0].Should().Be("m.a: Too long: may not be more than 2 bytes");
        Messages(s, "m: {a: 1}")[0].Should().Be("m.a: Invalid value: \"integer\": m.a in body must be of type string: \"integer\"");
    }

    [Test]
    public void Items_are_validated_with_indexed_paths()
    {
        const string s = Obj + "  l: {type: array, items: {type: object, required: [n], properties: {n: {type: integer, maximum: 1}}}}";
        Valid(s, "l: [{n: 1}]");
        Invalid(s, "l: [{n: 1}, {n: 2}]", "l[1].n: Invalid value: 2: l[1].n in body should be less than or equal to 1");
        Messages(s, "l: [{}]")[0].Should().Be("l[0].n: Required value");
    }

    [Test]
    public void Format_date_time_is_checked_leniently_and_int_formats_are_accepted()
    {
        const string s = Obj + "  t: {type: string, format: date-time}\n  i: {type: integer, format: int32}\n  j: {type: integer, format: int64}";
        Valid(s, "{t: '2026-11-26T05:36:42Z', i: 5, j: 5}");
        Valid(s, "{t: '2026-11-26T05:36:42.1234567+01:00'}");
        Messages(s, "t: yesterday")[0].Should().Be("t: Invalid value: \"yesterday\": t in body must be of type date-time: \"yesterday\"");
    }

    [Test]
    public void Values_built_in_code_are_read_through_their_json()
    {
        var v = Schema(Obj + "  t: {type: string, format: date-time}\n  n: {type: integer, maximum: 5}");
        var obj = new System.Text.Json.Nodes.JsonObject
        {
            ["t"] = System.Text.Json.Nodes.JsonValue.Create(new DateTime(2026, 11, 26, 6, 0, 0, DateTimeKind.Utc)),
            ["n"] = 3,
        };
        v.Validate(obj, null).Should().BeEmpty();
        obj["n"] = 6;
        v.Validate(obj, null).Select(e => e.Message).Should().Equal("n: Invalid value: 6: n in body should be less than or equal to 5");
    }

    [Test]
    public void Int_or_string()
    {
        const string s = Obj + "  p: {x-kubernetes-int-or-string: true}";
        Valid(s, "p: 80");
        Valid(s, "p: http");
        Messages(s, "p: true")[0].Should().Be("p: Invalid value: \"boolean\": p in body must be of type integer,string: \"boolean\"");
    }

    [Test]
    public void Preserve_unknown_fields_accepts_anything_inside()
    {
        const string s = Obj + "  raw: {type: object, x-kubernetes-preserve-unknown-fields: true}";
        Valid(s, "raw: {a: [1, {b: c}]}");
        Messages(s, "raw: 1")[0].Should().Be("raw: Invalid value: \"integer\": raw in body must be of type object: \"integer\"");
    }

    [Test]
    public void List_type_set_rejects_duplicates()
    {
        const string s = Obj + "  l: {type: array, x-kubernetes-list-type: set, items: {type: string}}";
        Valid(s, "l: [a, b]");
        Check(Schema(s), "l: [a, b, a]").Should().Equal(new FieldError("l[2]", "FieldValueDuplicate", "l[2]: Duplicate value: \"a\""));
    }

    [Test]
    public void List_type_map_rejects_duplicate_keys()
    {
        const string s = Obj + "  l:\n    type: array\n    x-kubernetes-list-type: map\n    x-kubernetes-list-map-keys: [name]\n    items: {type: object, properties: {name: {type: string}, v: {type: integer}}}";
        Valid(s, "l: [{name: a, v: 1}, {name: b, v: 1}]");
        Check(Schema(s), "l: [{name: a, v: 1}, {name: a, v: 2}]").Should().Equal(
            new FieldError("l[1]", "FieldValueDuplicate", "l[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}"));
    }

    [Test]
    public void List_type_map_with_two_keys()
    {
        const string s = Obj + "  l:\n    type: array\n    x-kubernetes-list-type: map\n    x-kubernetes-list-map-keys: [a, b]\n    items: {type: object, properties: {a: {type: string}, b: {type: integer}}}";
        Valid(s, "l: [{a: x, b: 1}, {a: x, b: 2}]");
        Messages(s, "l: [{a: x, b: 1}, {a: x, b: 1}]").Should().Equal("l[1]: Duplicate value: map[string]interface {}{\"a\":\"x\", \"b\":1}");
    }

    [Test]
    public void Unsupported_keywords_fail_loudly()
    {
        var act = () => Schema(Obj + "  a: {anyOf: [{type: string}]}");
        act.Should().Throw<NotSupportedException>().WithMessage("*anyOf*");
    }

    [Test]
    public void Unknown_fields_are_not_validation_errors()
    {
        Valid(Obj + "  a: {type: string}", "{a: x, b: 1}");
    }
}
