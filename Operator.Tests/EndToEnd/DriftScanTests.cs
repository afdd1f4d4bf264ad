using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The drift scanner as a long-lived loop: it survives a failed status write and keeps scanning, and its status
/// refresh never overwrites a newer write (resourceVersion precondition).
/// </summary>
[TestFixture]
public sealed class DriftScanTests
{
    [Test]
    public async Task The_scan_survives_a_refused_status_patch_and_refreshes_the_status_next_period()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(1));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "busy");
        await bed.WaitReadyAsync("default", "busy");

        // A 422 is not retried as a write (a 500 would be, by the patcher): the scan itself must absorb it.
        var fault = bed.Kube.Emulator.Faults.FailRequests(422,
            pathPrefix: $"/apis/{ApiGroup.Group}/{ApiGroup.Version}/namespaces/default/ecsclusters/busy/status", verb: "patch", times: 1);
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy", runningTasks: 3);
        await Eventually.UntilAsync(() => fault.Hits == 1, "the scanner's status patch failed once", TimeSpan.FromSeconds(60));

        await bed.WaitForClusterAsync("default", "busy", c => c.Status?.RunningTasksCount == 3, "the counts refreshed by a later scan");
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "busy", runningTasks: 5);
        await bed.WaitForClusterAsync("default", "busy", c => c.Status?.RunningTasksCount == 5, "the scanner still running");
        bed.Logs.Lines.Should().Contain(l => l.Contains("Drift scan of the clusters of provider", StringComparison.Ordinal)
            && l.Contains("retrying next period", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_status_refresh_from_a_stale_cache_loses_to_the_newer_write()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "contested");
        var stale = await bed.WaitReadyAsync("default", "contested");

        // A worker writes after the scanner's cache saw the object; then the counts change in ECS.
        await bed.Kube.PatchClusterAsync("default", "contested",
            new JsonObject { ["status"] = new JsonObject { ["pendingTasksCount"] = 7 } }, status: true);
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "contested", runningTasks: 4);

        var store = new ObjectStore<ECSCluster>();
        store.Upsert(stale);
        var scanner = ActivatorUtilities.CreateInstance<DriftScanner>(bed.App!.Services, store, (Action<string>)(_ => { }));
        await scanner.ScanOnceAsync(CancellationToken.None);

        bed.Kube.Emulator.Requests.Entries.Should().Contain(e => e.Verb == "patch" && e.Resource == "ecsclusters"
            && e.Subresource == "status" && e.Name == "contested" && e.StatusCode == (int)HttpStatusCode.Conflict,
            "the refresh carries the resourceVersion it was computed from");
    }

    [Test]
    public async Task A_cluster_whose_spec_changed_while_the_scan_compared_it_is_left_to_the_change_s_own_reconcile()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "changing", spec: s => s.Tags = new() { ["team"] = "a" });
        await bed.Kube.CreateClusterAsync("default", "drifting", spec: s => s.Tags = new() { ["team"] = "a" });
        var changing = await bed.WaitReadyAsync("default", "changing");
        var drifting = await bed.WaitReadyAsync("default", "drifting");

        // The scan lists both, then its DescribeClusters is held: meanwhile "changing" gets a new spec (team=b) that its
        // own reconcile has applied in ECS, and "drifting" loses its tag out of band.
        var store = new ObjectStore<ECSCluster>();
        store.Upsert(changing);
        store.Upsert(drifting);
        var queued = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var scanner = ActivatorUtilities.CreateInstance<DriftScanner>(bed.App!.Services, store, (Action<string>)queued.Enqueue);
        var hold = bed.Aws.Faults.HoldNext("DescribeClusters");
        var scan = scanner.ScanOnceAsync(CancellationToken.None);
        await hold.Reached.WaitAsync(TimeSpan.FromMinutes(1));
        var changed = EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(changing));
        changed.Metadata.Generation = changing.Metadata.Generation + 1;
        changed.Spec.Tags = new() { ["team"] = "b" };
        store.Upsert(changed);
        bed.Aws.Ecs.TagResource(OperatorTestBed.Account, "us-east-1",
            new Operator.Core.Aws.Ecs.Model.TagResourceRequest { ResourceArn = changing.Status!.ClusterARN!, Tags = [new("team", "b")] });
        bed.Aws.Ecs.UntagResource(OperatorTestBed.Account, "us-east-1",
            new Operator.Core.Aws.Ecs.Model.UntagResourceRequest { ResourceArn = drifting.Status!.ClusterARN!, TagKeys = ["team"] });
        hold.Release();
        await scan;

        queued.Should().Equal(["default/drifting"], "drift found against an old generation is the new generation's reconcile's to judge");
    }
}
