using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Aws;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Deletion policies, blocked deletion, drift correction and adoption, against the running operator. The fixture's
/// operator is shared and scans every 2 s, with a short blocked requeue (how soon a deletion that was blocked is
/// retried is not studied here); tests that count the operator's AWS calls use an operator of their own, so that
/// neither the scan nor another test's clusters can add calls to their window, whatever the order of the tests.
/// </summary>
[TestFixture]
public sealed class ClusterLifecycleTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await StartBedAsync(TimeSpan.FromSeconds(2));
    }

    private static async Task<OperatorTestBed> StartBedAsync(TimeSpan? resync = null)
    {
        var started = await OperatorTestBed.StartAsync(resync: resync,
            services: s => s.AddSingleton(new ClusterReconcilerOptions { BlockedRequeue = TimeSpan.FromMilliseconds(500) }));
        await started.CreateStaticProviderAsync("default", "p");
        await started.WaitProviderReadyAsync("default", "p");
        return started;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    /// <summary>
    /// An operator that scans only every 10 minutes, whose provider is already in use by a Ready cluster (the first
    /// cluster of a provider makes the provider controller add its in-use finalizer and check the identity again),
    /// and whose controllers have settled: from here, only what the test does makes AWS calls.
    /// </summary>
    private static async Task<OperatorTestBed> StartQuietBedAsync()
    {
        var quiet = await StartBedAsync();
        using var metrics = new AwsMetricsRecorder(quiet.App!.Services.GetRequiredService<IMeterFactory>());
        await quiet.Kube.CreateClusterAsync("default", "in-use");
        await quiet.WaitReadyAsync("default", "in-use");
        var clusters = quiet.App.Services.GetRequiredService<Controller<ECSCluster>>();
        var providers = quiet.App.Services.GetRequiredService<Controller<AWSProvider>>();
        await Eventually.UntilAsync(
            () => clusters.QueueLength == 0 && providers.QueueLength == 0 && metrics.Sum("controller_runtime_active_workers") <= 0,
            "the controllers to settle");
        return quiet;
    }

    private async Task<ECSCluster> CreateReadyAsync(string name, Action<ECSClusterSpec>? spec = null)
    {
        await _bed.Kube.CreateClusterAsync("default", name, spec: spec);
        return await _bed.WaitReadyAsync("default", name);
    }

    [Test]
    public async Task Delete_policy_removes_the_ecs_cluster()
    {
        await CreateReadyAsync("doomed");
        await _bed.Kube.DeleteClusterAsync("default", "doomed");
        await _bed.WaitGoneAsync("default", "doomed");
        var cluster = await _bed.DescribeAsync("doomed");
        (cluster is null || cluster.Status == "INACTIVE").Should().BeTrue("deletionPolicy Delete deletes the ECS cluster");
    }

    [Test]
    public async Task Retain_policy_keeps_the_ecs_cluster()
    {
        await CreateReadyAsync("kept", s => s.DeletionPolicy = DeletionPolicy.Retain);
        var since = DateTimeOffset.UtcNow;
        await _bed.Kube.DeleteClusterAsync("default", "kept");
        await _bed.WaitGoneAsync("default", "kept");
        (await _bed.DescribeAsync("kept"))!.Status.Should().Be("ACTIVE");
        _bed.OperatorCalls(since).Should().NotContainKey("DeleteCluster");
    }

    [Test]
    public async Task Deletion_is_blocked_while_services_and_tasks_run_and_completes_when_they_are_gone()
    {
        await CreateReadyAsync("busy");
        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy", activeServices: 2, runningTasks: 3);
        await _bed.Kube.DeleteClusterAsync("default", "busy");

        var blocked = await _bed.WaitForClusterAsync("default", "busy",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.DeletionBlocked && x.Status == "True") == true, "DeletionBlocked");
        var condition = blocked.Status!.Conditions!.Single(x => x.Type == ClusterConditions.DeletionBlocked);
        condition.Reason.Should().BeOneOf("ClusterContainsServices", "ClusterContainsTasks");
        condition.Message.Should().Contain("2 active services").And.Contain("3 running");
        blocked.Status.ActiveServicesCount.Should().Be(2);
        blocked.Status.RunningTasksCount.Should().Be(3);

        _bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy");
        await _bed.WaitGoneAsync("default", "busy");
        var cluster = await _bed.DescribeAsync("busy");
        (cluster is null || cluster.Status == "INACTIVE").Should().BeTrue();
    }

    [Test]
    public async Task Out_of_band_drift_is_detected_by_the_batched_scan_and_corrected()
    {
        await CreateReadyAsync("drifty", s => s.Tags = new() { ["Team"] = "platform" });
        var arn = (await _bed.DescribeAsync("drifty"))!.ClusterArn!;
        await _bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = ["Team"] });
        await _bed.Ecs.TagResourceAsync(new() { ResourceArn = arn, Tags = [new("Rogue", "x")] });
        await _bed.Ecs.UpdateClusterAsync(new() { Cluster = arn, Settings = [new("containerInsights", "disabled")] });

        await Eventually.UntilAsync(async () =>
        {
            var c = await _bed.DescribeAsync("drifty");
            return c!.Tags!.Any(t => t.Key == "Team") && c.Tags!.All(t => t.Key != "Rogue")
                && c.Settings!.Any(s => s.Name == "containerInsights" && s.Value == "enabled");
        }, "drift corrected", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task A_cluster_deleted_out_of_band_is_recreated()
    {
        await CreateReadyAsync("phoenix");
        await _bed.Ecs.DeleteClusterAsync(new() { Cluster = "phoenix" });
        await Eventually.UntilAsync(async () => (await _bed.DescribeAsync("phoenix"))?.Status == "ACTIVE", "recreated", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task An_existing_cluster_is_adopted_only_on_opt_in()
    {
        await using var quiet = await StartQuietBedAsync();
        await quiet.Ecs.CreateClusterAsync(new() { ClusterName = "legacy", Tags = [new("Owner", "someone-else")] });
        var since = DateTimeOffset.UtcNow;
        await quiet.Kube.CreateClusterAsync("default", "legacy");
        var refused = await quiet.WaitForClusterAsync("default", "legacy",
            c => c.Status?.Conditions?.Any(x => x.Type == "Synced" && x.Reason == "AdoptionRequired") == true, "AdoptionRequired");
        refused.Status!.Ready.Should().BeFalse();
        quiet.OperatorCalls(since).Keys.Should().BeSubsetOf(["DescribeClusters"], "nothing is changed on a cluster we do not own");

        await quiet.Kube.PatchClusterAsync("default", "legacy", new JsonObject { ["spec"] = new JsonObject { ["adoptExisting"] = true } });
        await quiet.WaitReadyAsync("default", "legacy");
        var tags = (await quiet.DescribeAsync("legacy"))!.Tags!;
        tags.Should().Contain(t => t.Key == Ownership.TagKey && t.Value == "default/legacy");
    }

    [Test]
    public async Task A_cluster_owned_by_another_object_is_never_touched_nor_deleted()
    {
        await CreateReadyAsync("owned");
        await _bed.Kube.CreateClusterAsync("default", "intruder", clusterName: "owned");
        await _bed.WaitForClusterAsync("default", "intruder",
            c => c.Status?.Conditions?.Any(x => x.Reason == "OwnedByAnotherObject") == true, "OwnedByAnotherObject");
        await _bed.Kube.DeleteClusterAsync("default", "intruder");
        await _bed.WaitGoneAsync("default", "intruder");
        (await _bed.DescribeAsync("owned"))!.Status.Should().Be("ACTIVE", "the intruder's deletion must not delete another object's cluster");
    }

    [Test]
    public async Task An_invalid_spec_the_schema_cannot_see_is_reported_without_any_aws_call()
    {
        await using var quiet = await StartQuietBedAsync();
        var since = DateTimeOffset.UtcNow;
        await quiet.Kube.CreateClusterAsync("default", "too-many-tags", spec: s => s.Tags = Enumerable.Range(0, 50).ToDictionary(i => $"k{i}", i => "v"));
        var obj = await quiet.WaitForClusterAsync("default", "too-many-tags",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.InvalidSpec && x.Status == "True") == true, "InvalidSpec");
        obj.Status!.Conditions!.Single(x => x.Type == ClusterConditions.InvalidSpec).Message.Should().Contain("spec.tags").And.Contain("at most 50");
        quiet.OperatorCalls(since).Should().BeEmpty();
        await Eventually.UntilAsync(async () => (await EventsAsync(quiet, "too-many-tags")).Any(e => e.Reason == "InvalidSpec"), "an InvalidSpec event");
    }

    private static async Task<IList<k8s.Models.Corev1Event>> EventsAsync(OperatorTestBed bed, string name) =>
        (await bed.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.name={name}")).Items;
}
