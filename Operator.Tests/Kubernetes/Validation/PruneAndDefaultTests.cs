using static Operator.Tests.Kubernetes.Validation.ValidationTestSupport;

namespace Operator.Tests.Kubernetes.Validation;

[TestFixture]
public class PruneAndDefaultTests
{
    private const string SchemaYaml = """
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            properties:
              mode: {type: string, default: fast}
              nullableWithDefault: {type: string, nullable: true, default: d}
              plain: {type: string}
              nested:
                type: object
                default: {}
                properties:
                  level: {type: integer, default: 3}
              items:
                type: array
                items:
                  type: object
                  properties:
                    name: {type: string}
                    weight: {type: integer, default: 1}
              labels:
                type: object
                additionalProperties:
                  type: object
                  properties:
                    v: {type: string, default: x}
              raw:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known: {type: string, default: k}
        """;

    [Test]
    public void Prune_removes_unknown_fields_and_reports_them()
    {
        var v = Schema(SchemaYaml);
        var obj = Yaml("""
            apiVersion: g/v1
            kind: K
            metadata: {name: n, labels: {a: b}, anything: kept}
            status: {dropped: true}
            spec:
              plain: p
              bogus: 1
              items: [{name: a, extra: 1}]
              labels: {l1: {v: y, junk: 2}}
              raw: {anything: [1, 2], known: z}
            """);

        var pruned = v.Prune(obj);

        pruned.Should().BeEquivalentTo("status", "spec.bogus", "spec.items[0].extra", "spec.labels.l1.junk");
        obj.ToJsonString().Should().Be(
            """{"apiVersion":"g/v1","kind":"K","metadata":{"name":"n","labels":{"a":"b"},"anything":"kept"},"spec":{"plain":"p","items":[{"name":"a"}],"labels":{"l1":{"v":"y"}},"raw":{"anything":[1,2],"known":"z"}}}""");
    }

    [Test]
    public void Defaults_apply_recursively_inside_existing_objects_items_and_map_values()
    {
        var v = Schema(SchemaYaml);
        var obj = Yaml("""
            spec:
              items: [{name: a}, {name: b, weight: 5}]
              labels: {l1: {}}
              raw: {}
            """);

        v.ApplyDefaults(obj);

        obj["spec"]!.ToJsonString().Should().Be(
            """{"items":[{"name":"a","weight":1},{"name":"b","weight":5}],"labels":{"l1":{"v":"x"}},"raw":{"known":"k"},"mode":"fast","nullableWithDefault":"d","nested":{"level":3}}""");
    }

    [Test]
    public void Defaults_do_not_override_values_and_nulls_follow_nullable()
    {
        var v = Schema(SchemaYaml);
        var obj = Yaml("""
            spec:
              mode: null
              nullableWithDefault: null
              plain: null
              nested: {level: 7}
            """);

        v.ApplyDefaults(obj);

        var spec = (JsonObject)obj["spec"]!;
        ((string?)spec["mode"]).Should().Be("fast", "null of a non-nullable field with a default is defaulted");
        spec.ContainsKey("nullableWithDefault").Should().BeTrue();
        spec["nullableWithDefault"].Should().BeNull("a nullable field keeps its explicit null");
        spec.ContainsKey("plain").Should().BeFalse("null of a non-nullable field without default is pruned");
        ((long?)spec["nested"]!["level"]).Should().Be(7);
    }

    [Test]
    public void Defaults_are_independent_copies()
    {
        var v = Schema(SchemaYaml);
        var a = Yaml("spec: {}");
        var b = Yaml("spec: {}");
        v.ApplyDefaults(a);
        v.ApplyDefaults(b);
        a["spec"]!["nested"]!["level"] = 9;
        ((long?)b["spec"]!["nested"]!["level"]).Should().Be(3);
    }
}
