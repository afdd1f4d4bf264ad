using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What a deletion costs and shows: objects deleted together cost one DeleteCluster each, a DescribeClusters per
/// batch of them (the check before each DeleteCluster is read ahead for the provider's other deletions) and one
/// reconcile each (the final DELETE event and the removal of our own finalizer are no reason for another pass); and an
/// object that another finalizer keeps after ours is gone says so in its status instead of staying Ready and ACTIVE.
/// </summary>
[TestFixture]
public sealed class DeletionTests
{
    private const string Prefix = "del-";
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Wide write bucket: the creations are not what is measured; no scan during the test.
        _bed = await OperatorTestBed.StartAsync(awsOptions: new AwsEmulatorOptions { RecordRequests = true },
            settings: new() { ["AwsWriteQps"] = "100", ["AwsWriteBurst"] = "100" });
        await _bed.CreateStaticProviderAsync("default", "p");
        await _bed.WaitProviderReadyAsync("default", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Objects_deleted_together_cost_one_DeleteCluster_and_one_reconcile_each_and_a_DescribeClusters_per_batch()
    {
        const int n = 30;
        var names = Enumerable.Range(0, n).Select(i => $"{Prefix}{i:00}").ToList();
        foreach (var name in names)
        {
            await _bed.Kube.CreateClusterAsync("default", name);
        }
        foreach (var name in names)
        {
            await _bed.WaitReadyAsync("default", name);
        }
        using var reconciles = new ReconcileLog(Prefix);
        var since = _bed.Aws.RecordedRequests.Count;

        await Task.WhenAll(names.Select(name => _bed.Kube.DeleteClusterAsync("default", name)));
        foreach (var name in names)
        {
            await _bed.WaitGoneAsync("default", name);
        }

        var calls = names.SelectMany(name => _bed.OperatorCallsNaming(since, name)).ToList();
        var deletes = names.Sum(name => _bed.OperatorCallsNaming(since, name).Count(op => op == "DeleteCluster"));
        var describes = _bed.Aws.RecordedRequests.Skip(since)
            .Count(r => r.Contains("DescribeClusters", StringComparison.Ordinal) && r.Contains($"\"{Prefix}", StringComparison.Ordinal));
        TestContext.Progress.WriteLine($"{n} deletions: {deletes} DeleteCluster, {describes} DescribeClusters, {reconciles.Count} reconciles");
        deletes.Should().Be(n, "one DeleteCluster per object");
        describes.Should().BeLessThanOrEqualTo(n / 4, "the checks before DeleteCluster are read in batches");
        reconciles.Count.Should().BeLessThanOrEqualTo(n + 2, "one reconcile per deletion (the final DELETE needs none)");
        calls.Should().NotContain("CreateCluster");
    }

    [Test]
    public async Task A_deleted_provider_that_was_in_use_leaves_no_connection_pool_or_credentials_behind()
    {
        var pools = _bed.App!.Services.GetRequiredService<Operator.Core.Aws.Http.AwsHttpPools>();
        var before = pools.Count;
        await _bed.CreateStaticProviderAsync("default", "short-lived");
        await _bed.WaitProviderReadyAsync("default", "short-lived");
        await _bed.Kube.CreateClusterAsync("default", "uses-short-lived", provider: "short-lived");
        await _bed.WaitReadyAsync("default", "uses-short-lived");
        pools.Count.Should().BeGreaterThan(before, "the provider has its own pool");

        // Deleted while in use: it goes through its in-use finalizer, so its final DELETE event queues no pass.
        await _bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "short-lived");
        await _bed.Kube.DeleteClusterAsync("default", "uses-short-lived");
        await _bed.WaitGoneAsync("default", "uses-short-lived");
        await Eventually.UntilAsync(async () => await _bed.GetProviderAsync("default", "short-lived") is null, "the provider gone");
        await Eventually.UntilAsync(() => pools.Count == before, "its HTTP pool released", TimeSpan.FromSeconds(90));
    }

    [Test]
    public async Task An_object_held_by_another_finalizer_shows_it_is_being_deleted_once_its_cluster_is_gone()
    {
        await _bed.Kube.CreateClusterAsync("default", "held");
        await _bed.WaitReadyAsync("default", "held");
        await _bed.Kube.PatchClusterAsync("default", "held", new JsonObject
        {
            ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray(ApiGroup.Finalizer, "example.com/backup-first") },
        });
        await _bed.Kube.DeleteClusterAsync("default", "held");

        var deleting = await _bed.WaitForClusterAsync("default", "held",
            c => c.Metadata.Finalizers?.Contains(ApiGroup.Finalizer) != true, "our finalizer removed");
        (await _bed.DescribeAsync("held") is null or { Status: "INACTIVE" }).Should().BeTrue("the ECS cluster is deleted");
        deleting.Status!.Ready.Should().BeFalse();
        deleting.Status.Status.Should().Be("INACTIVE");
        deleting.Status.ObservedGeneration.Should().Be(deleting.Metadata.Generation, "the generation set with deletionTimestamp");
        deleting.Status.Conditions.Should().Contain(c => c.Type == ClusterConditions.Ready && c.Status == "False"
            && c.Reason == ClusterConditions.Reasons.Deleting && c.ObservedGeneration == deleting.Metadata.Generation);

        await _bed.Kube.PatchClusterAsync("default", "held", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } });
        await _bed.WaitGoneAsync("default", "held");
    }
}
