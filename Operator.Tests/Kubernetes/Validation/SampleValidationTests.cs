using Operator.Testing.Kubernetes.Validation;
using static Operator.Tests.Kubernetes.Validation.ValidationTestSupport;

namespace Operator.Tests.Kubernetes.Validation;

[TestFixture]
public class SampleValidationTests
{
    public static IEnumerable<TestCaseData> ValidSamples() =>
        Directory.GetFiles(SamplesDir, "*.yaml")
            .Where(f => (string?)CrdDocument.LoadYamlObject(f)["kind"] is "ECSCluster" or "AWSProvider")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new TestCaseData(Path.GetFileName(f)).SetName("Valid sample " + Path.GetFileName(f)));

    public static IEnumerable<TestCaseData> InvalidSamples() =>
        Directory.GetFiles(InvalidSamplesDir, "*.yaml")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new TestCaseData(Path.GetFileName(f)).SetName("Invalid sample " + Path.GetFileName(f)));

    [Test]
    public void Samples_are_found()
    {
        ValidSamples().Should().HaveCountGreaterThanOrEqualTo(11);
        InvalidSamples().Should().HaveCountGreaterThanOrEqualTo(27);
    }

    [TestCaseSource(nameof(ValidSamples))]
    public void Valid_sample_has_no_errors_after_defaulting(string file)
    {
        var obj = Admit(CrdDocument.LoadYamlObject(Path.Combine(SamplesDir, file)));

        var errors = ValidatorFor(obj).Validate(obj, null);

        errors.Should().BeEmpty();
    }

    [TestCaseSource(nameof(ValidSamples))]
    public void Valid_sample_updated_onto_itself_has_no_errors(string file)
    {
        var obj = Admit(CrdDocument.LoadYamlObject(Path.Combine(SamplesDir, file)));

        ValidatorFor(obj).Validate(obj, (JsonObject)obj.DeepClone()).Should().BeEmpty();
    }

    [TestCaseSource(nameof(InvalidSamples))]
    public void Invalid_sample_is_rejected_with_the_expected_error(string file)
    {
        var path = Path.Combine(InvalidSamplesDir, file);
        var header = File.ReadLines(path)
            .TakeWhile(l => l.StartsWith('#'))
            .Select(l => l.TrimStart('#').Trim())
            .Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
        header.Should().ContainKeys("layer", "field", "expect");

        var obj = Admit(CrdDocument.LoadYamlObject(path));
        JsonObject? old = null;
        if (header["layer"] == "transition")
        {
            header.Should().ContainKey("update-of");
            old = Admit(CrdDocument.LoadYamlObject(Path.Combine(SamplesDir, header["update-of"])));

            // The same object as a create is valid: only the transition rule rejects it.
            ValidatorFor(obj).Validate(obj, null).Should().BeEmpty();
        }

        var errors = ValidatorFor(obj).Validate(obj, old);

        errors.Should().Contain(
            e => (e.Field == header["field"] || e.Field.StartsWith(header["field"], StringComparison.Ordinal))
                 && e.Message.Contains(header["expect"], StringComparison.Ordinal),
            $"expected an error at {header["field"]} containing '{header["expect"]}', got: {string.Join(" | ", errors.Select(e => e.Message))}");
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, errors.Select(e => $"{e.Type}  {e.Message}")));
    }

    [Test]
    public void Defaulting_adds_container_insights_and_delete_policy_when_absent()
    {
        var obj = Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c, namespace: default}
            spec:
              providerRef: {name: p}
              clusterName: c
            """);

        Admit(obj);

        obj["spec"]!["settings"]!.ToJsonString().Should().Be("""[{"name":"containerInsights","value":"enabled"}]""");
        ((string?)obj["spec"]!["deletionPolicy"]).Should().Be("Delete");
        ValidatorFor(obj).Validate(obj, null).Should().BeEmpty();
    }

    [Test]
    public void Defaulting_keeps_explicit_settings_and_retain()
    {
        var obj = Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: c
              deletionPolicy: Retain
              settings: [{name: containerInsights, value: disabled}]
            """);

        Admit(obj);

        obj["spec"]!["settings"]!.ToJsonString().Should().Be("""[{"name":"containerInsights","value":"disabled"}]""");
        ((string?)obj["spec"]!["deletionPolicy"]).Should().Be("Retain");
    }

    [Test]
    public void Update_that_keeps_clusterName_passes_and_one_that_changes_it_fails()
    {
        var old = Admit(CrdDocument.LoadYamlObject(Path.Combine(SamplesDir, "ecscluster-fargate.yaml")));
        var kept = (JsonObject)old.DeepClone();
        kept["spec"]!["tags"]!["Team"] = "other";
        kept["spec"]!["deletionPolicy"] = "Retain";

        ValidatorFor(kept).Validate(kept, old).Should().BeEmpty();

        var renamed = (JsonObject)kept.DeepClone();
        renamed["spec"]!["clusterName"] = "renamed";
        var errors = ValidatorFor(renamed).Validate(renamed, old);
        errors.Should().ContainSingle().Which.Should().Be(new FieldError(
            "spec.clusterName", "FieldValueInvalid", "spec.clusterName: Invalid value: \"string\": clusterName is immutable"));
    }

    [Test]
    public void Every_rule_of_both_crds_is_compiled()
    {
        ValidatorFor("ECSCluster").Rules.Should().HaveCount(14);
        ValidatorFor("AWSProvider").Rules.Should().HaveCount(8);
    }

    [Test]
    public void Errors_match_kube_apiserver_text_exactly()
    {
        var v = ValidatorFor("ECSCluster");
        var errors = v.Validate(Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: "my cluster!"
              defaultCapacityProviderStrategy:
                - {capacityProvider: FARGATE, weight: 1001}
            """), null);

        errors.Should().BeEquivalentTo(new[]
        {
            new FieldError("spec.clusterName", "FieldValueInvalid",
                "spec.clusterName: Invalid value: \"my cluster!\": spec.clusterName in body should match '^[A-Za-z0-9_-]{1,255}$'"),
            new FieldError("spec.defaultCapacityProviderStrategy[0].weight", "FieldValueInvalid",
                "spec.defaultCapacityProviderStrategy[0].weight: Invalid value: 1001: spec.defaultCapacityProviderStrategy[0].weight in body should be less than or equal to 1000"),
        });
    }

    [Test]
    public void Cel_failures_carry_the_schema_type_of_the_rule_node_and_the_rule_message()
    {
        var v = ValidatorFor("ECSCluster");
        var errors = v.Validate(Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: c
              capacityProviders: [FARGATE]
              defaultCapacityProviderStrategy:
                - {capacityProvider: FARGATE, base: 1}
                - {capacityProvider: FARGATE_SPOT, base: 2}
            """), null);

        errors.Should().BeEquivalentTo(new[]
        {
            // Rule on spec with fieldPath .defaultCapacityProviderStrategy: value is spec's type.
            new FieldError("spec.defaultCapacityProviderStrategy", "FieldValueInvalid",
                "spec.defaultCapacityProviderStrategy: Invalid value: \"object\": every defaultCapacityProviderStrategy[].capacityProvider must be listed in capacityProviders"),
            // Rule on the list itself.
            new FieldError("spec.defaultCapacityProviderStrategy", "FieldValueInvalid",
                "spec.defaultCapacityProviderStrategy: Invalid value: \"array\": at most one defaultCapacityProviderStrategy item may have a base greater than 0"),
        });
    }

    [TestCase("ECSCluster", "tags")]
    [TestCase("AWSProvider", "defaultTags")]
    public void Tag_key_length_rule_accepts_128_and_rejects_129_characters(string kind, string field)
    {
        var obj = kind == "ECSCluster"
            ? Yaml("{apiVersion: aws-infra-operator.runner.codes/v1alpha1, kind: ECSCluster, metadata: {name: c}, spec: {providerRef: {name: p}, clusterName: c}}")
            : Yaml("{apiVersion: aws-infra-operator.runner.codes/v1alpha1, kind: AWSProvider, metadata: {name: p}, spec: {region: us-east-1}}");
        obj["spec"]![field] = new JsonObject { [new string('k', 128)] = "v" };
        ValidatorFor(kind).Validate(obj, null).Should().BeEmpty();

        obj["spec"]![field] = new JsonObject { [new string('k', 129)] = "v" };
        ValidatorFor(kind).Validate(obj, null).Should().Equal(new FieldError(
            "spec." + field, "FieldValueInvalid", $"spec.{field}: Invalid value: \"object\": tag keys must be 1 to 128 characters long"));
    }

    [Test]
    public void Duplicate_list_map_keys_and_set_items_are_reported()
    {
        var v = ValidatorFor("ECSCluster");
        var messages = v.Validate(Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: c
              capacityProviders: [FARGATE, FARGATE]
              defaultCapacityProviderStrategy:
                - {capacityProvider: FARGATE, weight: 1}
                - {capacityProvider: FARGATE, weight: 2}
            """), null).Select(e => e.Message);

        messages.Should().BeEquivalentTo(
            "spec.capacityProviders[1]: Duplicate value: \"FARGATE\"",
            "spec.defaultCapacityProviderStrategy[1]: Duplicate value: map[string]interface {}{\"capacityProvider\":\"FARGATE\"}");
    }

    [Test]
    public void Blocking_schema_errors_skip_cel_like_the_apiserver()
    {
        var v = ValidatorFor("ECSCluster");
        var errors = v.Validate(Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: c
              settings: [{name: containerInsights, value: full}]
              tags: {"aws:x": y}
            """), null);

        errors.Select(e => e.Message).Should().Equal(
            "spec.settings[0].value: Unsupported value: \"full\": supported values: \"enabled\", \"disabled\", \"enhanced\"",
            "<nil>: Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation");
    }

    [Test]
    public void Too_many_and_too_long_use_the_current_wording()
    {
        var v = ValidatorFor("ECSCluster");
        var obj = Yaml("""
            apiVersion: aws-infra-operator.runner.codes/v1alpha1
            kind: ECSCluster
            metadata: {name: c}
            spec:
              providerRef: {name: p}
              clusterName: c
            """);
        obj["spec"]!["clusterName"] = new string('a', 256);
        var tags = new JsonObject();
        for (var i = 0; i < 51; i++)
        {
            tags["k" + i] = "v";
        }

        obj["spec"]!["tags"] = tags;

        var messages = v.Validate(obj, null).Select(e => e.Message).ToList();

        messages.Should().Contain("spec.clusterName: Too long: may not be more than 255 bytes");
        messages.Should().Contain("spec.tags: Too many: 51: must have at most 50 items");
    }
}
