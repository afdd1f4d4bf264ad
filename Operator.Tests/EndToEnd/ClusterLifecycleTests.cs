using System.Text.Json.Nodes;
using k8s;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Clusters;
using Operator.Testing.Aws;
using Operator.Tests.Support;

namespace Operator.Tests.EndToEnd;

/// <summary>Deletion policies, blocked deletion, drift correction and adoption, against the running operator.</summary>
[TestFixture]
public sealed class ClusterLifecycleTests
{
    private OperatorTestBed bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await bed.DisposeAsync();

    private async Task<ECSCluster> CreateReadyAsync(string name, Action<ECSClusterSpec>? spec = null)
    {
        await bed.Kube.CreateClusterAsync("default", name, spec: spec);
        return await bed.WaitReadyAsync("default", name);
    }

    [Test]
    public async Task Delete_policy_removes_the_ecs_cluster()
    {
        await CreateReadyAsync("doomed");
        await bed.Kube.DeleteClusterAsync("default", "doomed");
        await bed.WaitGoneAsync("default", "doomed");
        var cluster = await bed.DescribeAsync("doomed");
        (cluster is null || cluster.Status == "INACTIVE").Should().BeTrue("deletionPolicy Delete deletes the ECS cluster");
    }

    [Test]
    public async Task Retain_policy_keeps_the_ecs_cluster()
    {
        await CreateReadyAsync("kept", s => s.DeletionPolicy = DeletionPolicy.Retain);
        var since = DateTimeOffset.UtcNow;
        await bed.Kube.DeleteClusterAsync("default", "kept");
        await bed.WaitGoneAsync("default", "kept");
        (await bed.DescribeAsync("kept"))!.Status.Should().Be("ACTIVE");
        bed.OperatorCalls(since).Should().NotContainKey("DeleteCluster");
    }

    [Test]
    public async Task Deletion_is_blocked_while_services_and_tasks_run_and_completes_when_they_are_gone()
    {
        await CreateReadyAsync("busy");
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy", activeServices: 2, runningTasks: 3);
        await bed.Kube.DeleteClusterAsync("default", "busy");

        var blocked = await bed.WaitForClusterAsync("default", "busy",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.DeletionBlocked && x.Status == "True") == true, "DeletionBlocked");
        var condition = blocked.Status!.Conditions!.Single(x => x.Type == ClusterConditions.DeletionBlocked);
        condition.Reason.Should().BeOneOf("ClusterContainsServices", "ClusterContainsTasks");
        condition.Message.Should().Contain("2 active services").And.Contain("3 running");
        blocked.Status.ActiveServicesCount.Should().Be(2);
        blocked.Status.RunningTasksCount.Should().Be(3);

        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy");
        await bed.WaitGoneAsync("default", "busy");
        var cluster = await bed.DescribeAsync("busy");
        (cluster is null || cluster.Status == "INACTIVE").Should().BeTrue();
    }

    [Test]
    public async Task Out_of_band_drift_is_detected_by_the_batched_scan_and_corrected()
    {
        await CreateReadyAsync("drifty", s => s.Tags = new() { ["Team"] = "platform" });
        var arn = (await bed.DescribeAsync("drifty"))!.ClusterArn!;
        await bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = ["Team"] });
        await bed.Ecs.TagResourceAsync(new() { ResourceArn = arn, Tags = [new("Rogue", "x")] });
        await bed.Ecs.UpdateClusterAsync(new() { Cluster = arn, Settings = [new("containerInsights", "disabled")] });

        await Eventually.UntilAsync(async () =>
        {
            var c = await bed.DescribeAsync("drifty");
            return c!.Tags!.Any(t => t.Key == "Team") && c.Tags!.All(t => t.Key != "Rogue")
                && c.Settings!.Any(s => s.Name == "containerInsights" && s.Value == "enabled");
        }, "drift corrected", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task A_cluster_deleted_out_of_band_is_recreated()
    {
        await CreateReadyAsync("phoenix");
        await bed.Ecs.DeleteClusterAsync(new() { Cluster = "phoenix" });
        await Eventually.UntilAsync(async () => (await bed.DescribeAsync("phoenix"))?.Status == "ACTIVE", "recreated", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task An_existing_cluster_is_adopted_only_on_opt_in()
    {
        await bed.Ecs.CreateClusterAsync(new() { ClusterName = "legacy", Tags = [new("Owner", "someone-else")] });
        var since = DateTimeOffset.UtcNow;
        await bed.Kube.CreateClusterAsync("default", "legacy");
        var refused = await bed.WaitForClusterAsync("default", "legacy",
            c => c.Status?.Conditions?.Any(x => x.Type == "Synced" && x.Reason == "AdoptionRequired") == true, "AdoptionRequired");
        refused.Status!.Ready.Should().BeFalse();
        bed.OperatorCalls(since).Keys.Should().BeSubsetOf(["DescribeClusters"], "nothing is changed on a cluster we do not own");

        await bed.Kube.PatchClusterAsync("default", "legacy", new JsonObject { ["spec"] = new JsonObject { ["adoptExisting"] = true } });
        await bed.WaitReadyAsync("default", "legacy");
        var tags = (await bed.DescribeAsync("legacy"))!.Tags!;
        tags.Should().Contain(t => t.Key == Ownership.TagKey && t.Value == "default/legacy");
    }

    [Test]
    public async Task A_cluster_owned_by_another_object_is_never_touched_nor_deleted()
    {
        await CreateReadyAsync("owned");
        await bed.Kube.CreateClusterAsync("default", "intruder", clusterName: "owned");
        await bed.WaitForClusterAsync("default", "intruder",
            c => c.Status?.Conditions?.Any(x => x.Reason == "OwnedByAnotherObject") == true, "OwnedByAnotherObject");
        await bed.Kube.DeleteClusterAsync("default", "intruder");
        await bed.WaitGoneAsync("default", "intruder");
        (await bed.DescribeAsync("owned"))!.Status.Should().Be("ACTIVE", "the intruder's deletion must not delete another object's cluster");
    }

    [Test]
    public async Task An_invalid_spec_the_schema_cannot_see_is_reported_without_any_aws_call()
    {
        var since = DateTimeOffset.UtcNow;
        await bed.Kube.CreateClusterAsync("default", "too-many-tags", spec: s => s.Tags = Enumerable.Range(0, 50).ToDictionary(i => $"k{i}", i => "v"));
        var obj = await bed.WaitForClusterAsync("default", "too-many-tags",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.InvalidSpec && x.Status == "True") == true, "InvalidSpec");
        obj.Status!.Conditions!.Single(x => x.Type == ClusterConditions.InvalidSpec).Message.Should().Contain("spec.tags").And.Contain("at most 50");
        bed.OperatorCalls(since).Should().BeEmpty();
        await Eventually.UntilAsync(async () => (await EventsAsync("too-many-tags")).Any(e => e.Reason == "InvalidSpec"), "an InvalidSpec event");
    }

    private async Task<IList<k8s.Models.Corev1Event>> EventsAsync(string name) =>
        (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.name={name}")).Items;
}
