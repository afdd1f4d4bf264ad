using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>How the emulator applies a CRD validator: defaults, 422 bodies, old object on update, status scoping.</summary>
[TestFixture]
public sealed class KubeApiEmulatorValidationTests : EmulatorTestBase
{
    protected override KubeApiEmulatorOptions Options() => new()
    {
        CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds"),
        ValidatorFactory = _ => new FakeClusterValidator(),
    };

    [Test]
    public async Task Invalid_create_is_422_with_kind_group_name_and_causes()
    {
        var (code, status) = await FailureOf(() => CreateClusterAsync(Cluster("x", clusterName: "x y")));

        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["reason"]!.GetValue<string>().Should().Be("Invalid");
        status["message"]!.GetValue<string>().Should().Be(
            $"ECSCluster.{Group} \"x\" is invalid: spec.clusterName: Invalid value: \"x y\": spec.clusterName in body should match '^[a-zA-Z0-9_-]+$'");
        status["details"]!["name"]!.GetValue<string>().Should().Be("x");
        status["details"]!["kind"]!.GetValue<string>().Should().Be("ECSCluster");
        var cause = status["details"]!["causes"]![0]!;
        cause["reason"]!.GetValue<string>().Should().Be("FieldValueInvalid");
        cause["field"]!.GetValue<string>().Should().Be("spec.clusterName");
    }

    [Test]
    public async Task Defaults_are_stored()
    {
        var created = await CreateClusterAsync(Cluster("x"));

        created["spec"]!["deletionPolicy"]!.GetValue<string>().Should().Be("Delete");
    }

    [Test]
    public async Task Updates_are_validated_against_the_old_object()
    {
        await CreateClusterAsync(Cluster("x"));

        var (code, status) = await FailureOf(() => MergePatchClusterAsync("x", JsonNode.Parse("""{"spec":{"clusterName":"other"}}""")!.AsObject()));

        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["message"]!.GetValue<string>().Should().Contain("clusterName is immutable");
    }

    [Test]
    public async Task Status_writes_are_validated_and_main_writes_ignore_status_errors()
    {
        await CreateClusterAsync(Cluster("x"));

        var (code, status) = await FailureOf(() => MergePatchStatusAsync("x", JsonNode.Parse("""{"status":{"status":"BROKEN"}}""")!.AsObject()));
        code.Should().Be(HttpStatusCode.UnprocessableEntity);
        status["details"]!["causes"]![0]!["field"]!.GetValue<string>().Should().Be("status.status");

        // A main-resource write carrying a bad status succeeds: .status is not part of what it writes.
        var patched = await MergePatchClusterAsync("x", JsonNode.Parse("""{"metadata":{"labels":{"a":"b"}},"status":{"status":"BROKEN"}}""")!.AsObject());
        patched["metadata"]!["labels"]!["a"]!.GetValue<string>().Should().Be("b");
    }

    [Test]
    public async Task Kubectl_apply_of_an_invalid_sample_reports_the_server_message()
    {
        var home = Path.Combine(Path.GetTempPath(), "kubectl-validation-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var kubeconfig = Emulator.WriteKubeconfig(Path.Combine(home, "kubeconfig"));
            using var apply = KubectlProcess.Start(kubeconfig, home, ["apply", "-f", Path.Combine(RepoPaths.Root, "manifests", "samples", "invalid", "ecscluster-clustername-pattern.yaml")]);
            await apply.WaitForExitAsync(TimeSpan.FromSeconds(60));

            apply.ExitCode.Should().NotBe(0);
            apply.Stderr.Should().Contain("is invalid").And.Contain("spec.clusterName").And.Contain("should match");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
