using Operator.Testing.Kubernetes.Validation;
using static Operator.Tests.Kubernetes.Validation.ValidationTestSupport;

namespace Operator.Tests.Kubernetes.Validation;

[TestFixture]
public class CrdDocumentTests
{
    [Test]
    public void Yaml_scalars_resolve_like_go_yaml()
    {
        var obj = Yaml("""
            i: 42
            neg: -7
            f: 1.5
            t: true
            y: yes
            off: off
            n: null
            tilde: ~
            empty:
            q: "42"
            sq: 'true'
            tagged: !!str 12
            s: hello world
            list: [1, a]
            """);

        obj.ToJsonString().Should().Be(
            """{"i":42,"neg":-7,"f":1.5,"t":true,"y":true,"off":false,"n":null,"tilde":null,"empty":null,"q":"42","sq":"true","tagged":"12","s":"hello world","list":[1,"a"]}""");
    }

    [Test]
    public void Loads_both_crds_and_their_schemas()
    {
        var crds = Directory.GetFiles(Path.Combine(RepoRoot, "manifests", "crds"), "*.yaml").Select(CrdDocument.Load).ToList();

        crds.Select(c => c.Kind).Should().BeEquivalentTo("ECSCluster", "AWSProvider");
        foreach (var crd in crds)
        {
            crd.Group.Should().Be("aws-infra-operator.runner.codes");
            crd.Versions.Should().Equal("v1alpha1");
            var schema = crd.GetSchema("v1alpha1");
            ((string?)schema["type"]).Should().Be("object");
            schema["properties"]!["spec"].Should().NotBeNull();
        }
    }

    [Test]
    public void GetSchema_returns_a_copy_and_rejects_unknown_versions()
    {
        var crd = CrdDocument.Load(Path.Combine(RepoRoot, "manifests", "crds", "ecsclusters.aws-infra-operator.runner.codes.yaml"));
        crd.GetSchema("v1alpha1")["type"] = "changed";
        ((string?)crd.GetSchema("v1alpha1")["type"]).Should().Be("object");
        var act = () => crd.GetSchema("v2");
        act.Should().Throw<KeyNotFoundException>();
    }

    [Test]
    public void Integers_in_loaded_objects_are_json_numbers()
    {
        var obj = CrdDocument.LoadYamlObject(Path.Combine(SamplesDir, "ecscluster-hybrid.yaml"));
        var weight = obj["spec"]!["defaultCapacityProviderStrategy"]![0]!["weight"]!;
        weight.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.Number);
        ((long)weight).Should().Be(80);
        obj["spec"]!["clusterName"]!.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.String);
        _ = (JsonObject)obj["metadata"]!;
    }
}
