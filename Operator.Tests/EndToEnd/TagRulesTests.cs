using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// ECS's tag limits: refused at admission by the CRDs (key charset and length, value charset, "aws:" in any case),
/// the ownership tag fits ECS's 256-character value limit for the longest legal names, and adoption says which
/// pre-existing tags it removes.
/// </summary>
[TestFixture]
public sealed class TagRulesTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync();
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [TestCase("AWS:CloudFormation:stack-name", "x", "must not start with 'aws:'")]
    [TestCase("Aws:team", "x", "must not start with 'aws:'")]
    [TestCase("team#1", "x", "may contain only letters")]
    [TestCase("team", "platform<script>", "should match")]
    public async Task An_ecscluster_with_a_tag_ecs_would_refuse_is_rejected_at_admission(string key, string value, string expected)
    {
        var act = () => _bed.Kube.CreateClusterAsync("default", "bad-tags", spec: s => s.Tags = new() { [key] = value });
        var error = (await act.Should().ThrowAsync<k8s.Autorest.HttpOperationException>()).Which;
        error.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        Message(error).Should().Contain(expected);
    }

    [Test]
    public async Task An_awsprovider_with_an_uppercase_aws_prefixed_default_tag_is_rejected_at_admission()
    {
        var act = () => _bed.CreateStaticProviderAsync("default", "bad-defaults", spec: s => s["defaultTags"] = new JsonObject { ["AWS:createdBy"] = "me" });
        var error = (await act.Should().ThrowAsync<k8s.Autorest.HttpOperationException>()).Which;
        error.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        Message(error).Should().Contain("must not start with 'aws:'");
    }

    [Test]
    public async Task A_253_character_object_name_gets_an_ownership_tag_ecs_accepts()
    {
        var name = string.Concat(Enumerable.Repeat("a", 251)) + "-z";
        name.Length.Should().Be(253);
        await _bed.Kube.CreateClusterAsync("default", name, clusterName: "long-owner");
        await _bed.WaitReadyAsync("default", name);
        var owner = (await _bed.DescribeAsync("long-owner"))!.Tags!.Single(t => t.Key == Ownership.TagKey).Value!;
        owner.Length.Should().BeLessThanOrEqualTo(256);
        owner.Should().Be(Ownership.OwnerValue("default", name)).And.StartWith("default/aaaa");
        Ownership.OwnerValue("default", name + "x").Should().NotBe(owner, "the fallback keeps names apart");
    }

    private static string Message(k8s.Autorest.HttpOperationException error) =>
        JsonNode.Parse(error.Response.Content)!["message"]!.GetValue<string>();

    [Test]
    public async Task Adoption_records_the_pre_existing_tags_it_removes()
    {
        await _bed.Ecs.CreateClusterAsync(new() { ClusterName = "inherited", Tags = [new("Owner", "someone-else"), new("Team", "platform")] });
        await _bed.Kube.CreateClusterAsync("default", "inherited", spec: s =>
        {
            s.AdoptExisting = true;
            s.Tags = new() { ["Team"] = "platform" };
        });
        await _bed.WaitReadyAsync("default", "inherited");
        (await _bed.DescribeAsync("inherited"))!.Tags!.Should().NotContain(t => t.Key == "Owner");
        await Eventually.UntilAsync(async () =>
            (await _bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=inherited")).Items
                .Any(e => e.Reason == "Adopted" && e.Message.Contains("Owner=someone-else", StringComparison.Ordinal)
                    && !e.Message.Contains("Team=", StringComparison.Ordinal)),
            "an Adopted event naming the removed tag");
    }

    [Test]
    public async Task Adoption_of_a_cluster_whose_owner_is_gone_lists_the_tags_it_removes_too()
    {
        // Left by an ECSCluster that no longer exists, with a tag nobody asks for any more.
        await _bed.Ecs.CreateClusterAsync(new()
        {
            ClusterName = "orphaned",
            Tags = [new(Ownership.TagKey, "default/departed"), new("CostCenter", "1234"), new("Team", "platform")],
        });
        await _bed.Kube.CreateClusterAsync("default", "heir-of-orphaned", clusterName: "orphaned", spec: s =>
        {
            s.AdoptExisting = true;
            s.Tags = new() { ["Team"] = "platform" };
        });
        await _bed.WaitReadyAsync("default", "heir-of-orphaned");
        (await _bed.DescribeAsync("orphaned"))!.Tags!.Should().NotContain(t => t.Key == "CostCenter");
        await Eventually.UntilAsync(async () =>
            (await _bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=heir-of-orphaned")).Items
                .Any(e => e.Reason == "Adopted" && e.Message.Contains("CostCenter=1234", StringComparison.Ordinal)
                    && e.Message.Contains("no longer exists", StringComparison.Ordinal) && !e.Message.Contains("Team=", StringComparison.Ordinal)),
            "an Adopted event naming the removed tag and why the cluster could be adopted");
    }
}
