using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// AWS faults and operator restarts: convergence with nothing duplicated and nothing orphaned. A cluster still
/// provisioning is looked at again every half second instead of the product's 5 s.
/// </summary>
[TestFixture]
public sealed class FaultTests
{
    [Test]
    public async Task Throttling_and_5xx_bursts_converge_with_no_duplicate_cluster()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        bed.Aws.Faults.FailNext("CreateCluster", 3, "ThrottlingException", 400, "Rate exceeded");
        bed.Aws.Faults.FailNext("DescribeClusters", 2, "ServerException", 500);
        // A lost response: the cluster is created but the operator never hears so.
        bed.Aws.Faults.FailNext("CreateCluster", 1, "ServerException", 500, afterExecution: true);

        await bed.Kube.CreateClusterAsync("default", "stormy");
        await bed.WaitReadyAsync("default", "stormy");

        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(1);
        bed.Aws.Calls.Count("CreateCluster", "ThrottlingException").Should().Be(3);
    }

    [Test]
    public async Task An_operator_restarted_mid_create_converges_with_nothing_orphaned()
    {
        await using var bed = await OperatorTestBed.StartAsync(awsOptions: new AwsEmulatorOptions { ProvisioningDuration = TimeSpan.FromSeconds(2) },
            services: s => OperatorTestBed.Adjust<ClusterReconcilerOptions>(s, o => o with { TransitionRequeue = TimeSpan.FromMilliseconds(500) }));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "interrupted");
        await Eventually.UntilAsync(() => bed.Aws.Calls.Count("CreateCluster") > 0, "CreateCluster sent");
        await bed.StopOperatorAsync();

        await bed.StartOperatorAsync();
        var obj = await bed.WaitReadyAsync("default", "interrupted");
        obj.Metadata.Finalizers.Should().Contain(ApiGroup.Finalizer);
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(1);
    }

    [Test]
    public async Task An_operator_restarted_mid_delete_finishes_the_deletion()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "half-deleted");
        await bed.WaitReadyAsync("default", "half-deleted");
        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "half-deleted", runningTasks: 1);
        await bed.Kube.DeleteClusterAsync("default", "half-deleted");
        await Eventually.UntilAsync(() => bed.Aws.Calls.Count("DeleteCluster") > 0, "a DeleteCluster attempt");
        await bed.StopOperatorAsync();

        bed.Aws.Ecs.SetWorkload(OperatorTestBed.Account, "us-east-1", "half-deleted");
        await bed.StartOperatorAsync();
        await bed.WaitGoneAsync("default", "half-deleted");
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(0);
    }

    [Test]
    public async Task A_missing_provider_does_not_wedge_deletion_silently_and_Retain_releases_it()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "orphan-risk");
        await bed.WaitReadyAsync("default", "orphan-risk");
        await bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "p");
        // The provider is protected while a cluster uses it; a user who forces it away removes its finalizer by hand.
        await Eventually.UntilAsync(async () => (await bed.GetProviderAsync("default", "p"))?.Metadata.Finalizers?.Count > 0,
            "the provider's in-use finalizer");
        await bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new k8s.Models.V1Patch("""{"metadata":{"finalizers":null}}""", k8s.Models.V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, "default", AWSProvider.PluralName, "p");
        await Eventually.UntilAsync(async () => await bed.GetProviderAsync("default", "p") is null, "the provider gone");
        await bed.Kube.DeleteClusterAsync("default", "orphan-risk");

        var blocked = await bed.WaitForClusterAsync("default", "orphan-risk",
            c => c.Status?.Conditions?.Any(x => x.Type == "DeletionBlocked" && x.Reason == "ProviderNotFound") == true, "DeletionBlocked");
        blocked.Status!.Conditions!.Single(x => x.Type == "DeletionBlocked").Message
            .Should().Contain("deletionPolicy: Retain").And.Contain(ApiGroup.Finalizer);

        await bed.Kube.PatchClusterAsync("default", "orphan-risk",
            new System.Text.Json.Nodes.JsonObject { ["spec"] = new System.Text.Json.Nodes.JsonObject { ["deletionPolicy"] = "Retain" } });
        await bed.WaitGoneAsync("default", "orphan-risk");
    }
}
