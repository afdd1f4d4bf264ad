namespace Operator.Tests.Api;

/// <summary>Every sample against its CRD's OpenAPI schema: valid ones pass, each invalid one fails for its own rule.</summary>
[TestFixture]
public sealed partial class SampleSchemaTests
{
    private static IEnumerable<string> ValidSamples() => SampleCatalog.ValidCustomResourceFiles();
    private static IEnumerable<string> InvalidSamples() => SampleCatalog.InvalidFiles();

    [Test]
    public void The_samples_cover_every_example_of_the_user_guide()
    {
        SampleCatalog.ValidFiles().Should().BeEquivalentTo(
            "awsprovider-irsa.yaml", "awsprovider-static.yaml", "secret-aws-credentials.yaml",
            "ecscluster-fargate.yaml", "ecscluster-hybrid.yaml", "ecscluster-debug.yaml", "ecscluster-serverless.yaml",
            "ecscluster-dev.yaml", "ecscluster-service-mesh.yaml", "ecscluster-audit.yaml",
            // The providers (and Secret) the guide's examples reference in development and production.
            "awsprovider-dev.yaml", "secret-aws-credentials-dev.yaml", "awsprovider-production.yaml");
    }

    [Test]
    public void Every_providerRef_of_a_sample_names_a_sample_provider_in_its_namespace()
    {
        var providers = SampleCatalog.ValidFiles().Select(SampleCatalog.Load).Where(o => o["kind"]!.GetValue<string>() == "AWSProvider")
            .Select(o => $"{o["metadata"]!["namespace"]?.GetValue<string>() ?? "default"}/{o["metadata"]!["name"]!.GetValue<string>()}").ToHashSet();
        foreach (var cluster in SampleCatalog.ValidFiles().Select(SampleCatalog.Load).Where(o => o["kind"]!.GetValue<string>() == "ECSCluster"))
        {
            var ns = cluster["spec"]!["providerRef"]!["namespace"]?.GetValue<string>() ?? cluster["metadata"]!["namespace"]?.GetValue<string>() ?? "default";
            providers.Should().Contain($"{ns}/{cluster["spec"]!["providerRef"]!["name"]!.GetValue<string>()}", cluster["metadata"]!["name"]!.GetValue<string>());
        }
    }

    [TestCaseSource(nameof(ValidSamples))]
    public void Valid_sample_passes_the_schema(string file)
    {
        var sample = SampleCatalog.Load(file);
        var schema = CrdJsonSchema.For(sample["kind"]!.GetValue<string>());

        CrdJsonSchema.Failures(schema, sample).Should().BeEmpty();
    }

    [TestCaseSource(nameof(InvalidSamples))]
    public void Invalid_sample_is_rejected_by_the_layer_it_targets(string file)
    {
        var sample = SampleCatalog.LoadInvalid(file);
        var schema = CrdJsonSchema.For(sample.Object["kind"]!.GetValue<string>());
        var failures = CrdJsonSchema.Failures(schema, sample.Object);

        if (sample.Layer == "schema")
        {
            // A failure at the targeted field, or at its parent object for a missing required field.
            var pointer = ToPointer(sample.Field);
            var parent = pointer[..pointer.LastIndexOf('/')];
            failures.Should().Contain(f => f == pointer || (sample.Expect == "Required value" && f == parent),
                $"{file} targets {sample.Field}");
        }
        else
        {
            // CEL and transition rules are checked by the emulator's validator; here the sample must be clean
            // against the plain schema so that it is that rule, and nothing else, that rejects it.
            failures.Should().BeEmpty($"{file} must isolate its {sample.Layer} rule");
        }
    }

    /// <summary>spec.defaultCapacityProviderStrategy[0].weight → /spec/defaultCapacityProviderStrategy/0/weight</summary>
    private static string ToPointer(string field) => "/" + IndexPattern().Replace(field, ".$1").Replace('.', '/');

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex IndexPattern();
}
