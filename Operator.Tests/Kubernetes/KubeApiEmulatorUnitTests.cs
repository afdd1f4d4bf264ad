using Operator.Testing.Kubernetes;
using Operator.Testing.Kubernetes.Validation;


namespace Operator.Tests.Kubernetes;

/// <summary>The emulator's pure pieces: YAML typing, Status texts, selectors, patches, ages.</summary>
[TestFixture]
public sealed class KubeApiEmulatorUnitTests
{
    [Test]
    public void Yaml_keeps_ints_bools_and_quoted_strings_apart()
    {
        var node = YamlJson.Parse("""
            a: 1
            b: true
            c: "1"
            d: 'true'
            e: text
            f: 1.5
            g: ~
            h: [x, 2]
            i: |
              block
            j: end
            """)!;

        node.ToJsonString().Should().Be("""{"a":1,"b":true,"c":"1","d":"true","e":"text","f":1.5,"g":null,"h":["x",2],"i":"block\n","j":"end"}""");
    }

    [Test]
    public void Yaml_skips_empty_documents()
    {
        YamlJson.ParseAll("# comment only\n---\na: 1\n---\n").Should().ContainSingle();
    }

    [Test]
    public void Invalid_status_joins_messages_like_an_aggregate()
    {
        var one = KubeStatus.Invalid("aws-infra-operator.runner.codes", "ECSCluster", "x",
            [new FieldError("spec.clusterName", "FieldValueRequired", "spec.clusterName: Required value")]);
        var two = KubeStatus.Invalid("aws-infra-operator.runner.codes", "ECSCluster", "x",
        [
            new FieldError("spec.a", "FieldValueInvalid", "spec.a: Invalid value: \"1\": bad"),
            new FieldError("spec.b", "FieldValueTooLong", "spec.b: Too long: may not be more than 5 bytes"),
        ]);

        one.Code.Should().Be(422);
        one.Status["message"]!.GetValue<string>().Should().Be("ECSCluster.aws-infra-operator.runner.codes \"x\" is invalid: spec.clusterName: Required value");
        two.Status["message"]!.GetValue<string>().Should().Be(
            "ECSCluster.aws-infra-operator.runner.codes \"x\" is invalid: [spec.a: Invalid value: \"1\": bad, spec.b: Too long: may not be more than 5 bytes]");
        var details = two.Status["details"]!;
        details["kind"]!.GetValue<string>().Should().Be("ECSCluster");
        details["group"]!.GetValue<string>().Should().Be("aws-infra-operator.runner.codes");
        details["causes"]![1]!.ToJsonString().Should().Be("""{"reason":"FieldValueTooLong","message":"Too long: may not be more than 5 bytes","field":"spec.b"}""", "kubectl prints a cause as field: message");
        two.Status["reason"]!.GetValue<string>().Should().Be("Invalid");
    }

    [TestCase("a=b,c", true)]
    [TestCase("a in (b, x),!d", true)]
    [TestCase("a notin (b)", false)]
    [TestCase("c!=z", true)]
    [TestCase("d", false)]
    public void Label_selector_matches(string selector, bool expected)
    {
        var obj = JsonNode.Parse("""{"metadata":{"labels":{"a":"b","c":"z2"}}}""")!.AsObject();

        LabelSelector.Parse(selector).Matches(obj).Should().Be(expected);
    }

    [Test]
    public void Bad_label_selector_is_a_400()
    {
        var act = () => LabelSelector.Parse("a b c");

        act.Should().Throw<KubeApiException>().Which.Code.Should().Be(400);
    }

    [Test]
    public void Merge_patch_follows_rfc7386()
    {
        var target = JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"},"l":[1,2]}""");

        var result = JsonPatches.MergePatch(target, JsonNode.Parse("""{"a":"z","c":{"f":null},"l":[3],"n":{"x":null,"y":1}}"""));

        result!.ToJsonString().Should().Be("""{"a":"z","c":{"d":"e"},"l":[3],"n":{"y":1}}""");
    }

    [Test]
    public void Strategic_merge_patch_drops_directives()
    {
        var result = JsonPatches.StrategicMergePatch(
            JsonNode.Parse("""{"metadata":{"finalizers":["a"]}}"""),
            JsonNode.Parse("""{"$retainKeys":["x"],"metadata":{"$setElementOrder/finalizers":["b"],"finalizers":["b"]}}"""));

        result!.ToJsonString().Should().Be("""{"metadata":{"finalizers":["b"]}}""");
    }

    [TestCase(5, "5s")]
    [TestCase(119, "119s")]
    [TestCase(130, "2m10s")]
    [TestCase(600, "10m")]
    [TestCase(3 * 3600 + 60, "3h1m")]
    [TestCase(30 * 3600, "30h")]
    [TestCase(3 * 86400 + 3600, "3d1h")]
    [TestCase(30 * 86400, "30d")]
    public void Ages_print_like_kubectl(int seconds, string expected)
    {
        TableConverter.HumanDuration(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
    }
}
