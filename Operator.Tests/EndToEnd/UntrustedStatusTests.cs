using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What the operator does not trust: a status that says an ECS cluster exists for an object that never reached ECS
/// (no created-cluster annotation) is cleared, not kept or confirmed, with no AWS call; and a spec that sets the
/// ownership tag, stored before the CRD refused it, is InvalidSpec instead of being silently overridden.
/// </summary>
[TestFixture]
public sealed class UntrustedStatusTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync();
        // One default tag: a cluster with 50 tags of its own is then InvalidSpec (51 + the ownership tag), which no
        // admission rule can see.
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [TestCase("too-many-tags", "p")]
    [TestCase("no-provider", "missing")]
    public async Task A_forged_ECS_status_on_an_object_that_never_reached_ECS_is_cleared_without_an_AWS_call(string name, string provider)
    {
        await _bed.Kube.CreateClusterAsync("default", name, provider: provider, spec: s =>
        {
            if (provider == "p")
            {
                s.Tags = Enumerable.Range(0, 50).ToDictionary(i => $"k{i}", i => "v");
            }
        });
        await _bed.WaitForClusterAsync("default", name, c => c.Status?.Conditions?.Any(x => x.Type == "Synced" && x.Status == "False") == true, "blocked");
        var since = DateTimeOffset.UtcNow;

        await _bed.Kube.PatchClusterAsync("default", name, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["clusterARN"] = $"arn:aws:ecs:us-east-1:{OperatorTestBed.Account}:cluster/{name}", ["status"] = "ACTIVE",
                ["runningTasksCount"] = 5, ["tags"] = new JsonObject { ["forged"] = "yes" },
            },
        }, status: true);

        var obj = await _bed.WaitForClusterAsync("default", name, c => c.Status is { ClusterARN: null, Status: null, RunningTasksCount: null, Tags: null },
            "the forged status cleared");
        obj.Status!.Ready.Should().BeFalse();
        // The provider's own check (STS GetCallerIdentity) may still run after the object is blocked: the object's
        // creation gave the provider its in-use finalizer, which re-checks it. No ECS call is made for the object.
        _bed.OperatorCalls(since).Where(c => c.Key != "GetCallerIdentity").Should().BeEmpty("the object never reached ECS, and still does not");
    }

    [Test]
    public async Task A_spec_setting_the_ownership_tag_stored_before_the_rule_is_InvalidSpec_not_silently_overridden()
    {
        RegisterCrdWithoutOwnershipTagRule();
        try
        {
            await _bed.Kube.CreateClusterAsync("default", "claims-owner", spec: s => s.Tags = new() { [Ownership.TagKey] = "other/object" });
            var obj = await _bed.WaitForClusterAsync("default", "claims-owner",
                c => c.Status?.Conditions?.Any(x => x.Type == "InvalidSpec" && x.Message.Contains("ownership tag")) == true, "InvalidSpec");
            obj.Status!.Conditions!.Single(x => x.Type == "Synced").Reason.Should().Be(ClusterConditions.Reasons.InvalidSpec);
            (await _bed.DescribeAsync("claims-owner")).Should().BeNull("nothing is created with a spec the operator would have to override");
        }
        finally
        {
            await _bed.Kube.Emulator.RegisterCrdsFromDirectoryAsync(RepositoryLayout.CrdDirectory);
        }
    }

    // The ECSCluster CRD as it was before the ownership tag was refused, so an object of that time can exist.
    private void RegisterCrdWithoutOwnershipTagRule()
    {
        var path = Directory.EnumerateFiles(RepositoryLayout.CrdDirectory, "ecsclusters*.yaml").Single();
        var crd = YamlJson.ParseAll(File.ReadAllText(path)).Single()!.AsObject();
        var rules = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["tags"]!["x-kubernetes-validations"]!.AsArray();
        var rule = rules.Single(r => r!["rule"]!.GetValue<string>().Contains(Ownership.TagKey, StringComparison.Ordinal));
        rules.Remove(rule).Should().BeTrue();
        _bed.Kube.Emulator.RegisterCrd(crd);
    }
}
