using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// What a provider's boundary means for its clusters: a namespace revoked from <c>allowedNamespaces</c> stops only
/// that namespace's clusters (the drift scan resolves the provider per object) and its deletion completes without any
/// AWS call; objects sharing a clusterName never crash the scan; a <c>providerRef</c> change to another account is
/// refused with nothing created there, while one within the same account and region is applied.
/// </summary>
[TestFixture]
public sealed class ProviderBoundaryTests
{
    private const string OtherAccount = "210987654321";

    [Test]
    public async Task A_revoked_namespace_stops_only_its_own_clusters_and_its_deletion_completes_without_an_aws_call()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        await bed.CreateStaticProviderAsync("production", "p", spec: s => s["allowedNamespaces"] = new JsonArray("development"));
        await bed.WaitProviderReadyAsync("production", "p");
        // The revoked object first: the scan used to resolve the provider from a group's first member.
        await bed.Kube.CreateClusterAsync("development", "a-tenant", spec: s => s.ProviderRef.Namespace = "production");
        await bed.WaitReadyAsync("development", "a-tenant");
        await bed.Kube.CreateClusterAsync("production", "b-owner", spec: s => s.Tags = new() { ["Team"] = "platform" });
        await bed.WaitReadyAsync("production", "b-owner");

        await bed.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new k8s.Models.V1Patch(new JsonObject { ["spec"] = new JsonObject { ["allowedNamespaces"] = new JsonArray() } }.ToJsonString(),
                k8s.Models.V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, "production", AWSProvider.PluralName, "p");
        await bed.WaitForClusterAsync("development", "a-tenant",
            c => c.Status?.Conditions?.Any(x => x.Type == "ProviderNotReady" && x.Reason == "ProviderNotAllowed") == true, "ProviderNotAllowed");

        // Out-of-band drift on the allowed cluster is still repaired by the scan.
        var arn = (await bed.DescribeAsync("b-owner"))!.ClusterArn!;
        await bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = ["Team"] });
        await Eventually.UntilAsync(async () => (await bed.DescribeAsync("b-owner"))!.Tags!.Any(t => t.Key == "Team"),
            "drift on the allowed cluster repaired", TimeSpan.FromSeconds(60));

        var since = DateTimeOffset.UtcNow;
        await bed.Kube.DeleteClusterAsync("development", "a-tenant");
        await bed.WaitGoneAsync("development", "a-tenant");
        (await bed.DescribeAsync("a-tenant"))!.Status.Should().Be("ACTIVE", "nothing is deleted through a provider that does not admit the namespace");
        bed.OperatorCalls(since).Should().NotContainKey("DeleteCluster");
        // Events are written by the recorder's queue: the object can be gone before its last Event is.
        await Eventually.UntilAsync(async () => (await EventsAsync(bed, "development", "a-tenant")).Any(e => e.Reason == "NotDeleted" && e.Type == "Warning"
            && e.Message.Contains("without any AWS call") && e.Message.Contains("AWSProvider production/p")), "the NotDeleted Warning naming the provider");
    }

    [Test]
    public async Task Two_objects_with_one_clusterName_do_not_crash_the_scan_the_owner_is_repaired_and_the_other_is_refused()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.Kube.CreateClusterAsync("default", "owner", clusterName: "shared", spec: s => s.Tags = new() { ["Team"] = "platform" });
        var owner = await bed.WaitReadyAsync("default", "owner");
        await bed.Kube.CreateClusterAsync("default", "claimant", clusterName: "shared");
        await bed.WaitForClusterAsync("default", "claimant",
            c => c.Status?.Conditions?.Any(x => x.Reason == "OwnedByAnotherObject") == true, "OwnedByAnotherObject");
        // As restored from a backup: the claimant's annotation and status say it created the cluster and was reconciled,
        // so the scan batches both objects and asks for one name twice.
        var claimant = (await bed.GetClusterAsync("default", "claimant"))!;
        await bed.Kube.PatchClusterAsync("default", "claimant", new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Ownership.CreatedArnAnnotation] = owner.Status!.ClusterARN } },
        });
        await bed.Kube.PatchClusterAsync("default", "claimant", new JsonObject
        {
            ["status"] = new JsonObject { ["clusterARN"] = owner.Status!.ClusterARN, ["observedGeneration"] = claimant.Metadata.Generation },
        }, status: true);

        var arn = owner.Status.ClusterARN!;
        await bed.Ecs.UntagResourceAsync(new() { ResourceArn = arn, TagKeys = ["Team"] });
        await Eventually.UntilAsync(async () => (await bed.DescribeAsync("shared"))!.Tags!.Any(t => t.Key == "Team"),
            "the owner's drift repaired", TimeSpan.FromSeconds(60));
        var tags = (await bed.DescribeAsync("shared"))!.Tags!;
        tags.Should().Contain(t => t.Key == Ownership.TagKey && t.Value == "default/owner");
        await bed.WaitForClusterAsync("default", "claimant",
            c => c.Status?.Conditions?.Any(x => x.Type == "Synced" && x.Reason == "OwnedByAnotherObject") == true, "still OwnedByAnotherObject");
        bed.Logs.Lines.Should().NotContain(l => l.Contains("same key", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_move_to_another_account_is_refused_and_a_move_within_the_account_and_region_is_applied()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        bed.Aws.Credentials.Add("other-account-key", "other-account-secret", OtherAccount, "other-user");
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.CreateStaticProviderAsync("default", "elsewhere", "other-account-key", "other-account-secret");
        await bed.CreateStaticProviderAsync("default", "same-account", spec: s => s["defaultTags"] = new JsonObject { ["cost-center"] = "42" });
        foreach (var p in new[] { "p", "elsewhere", "same-account" })
        {
            await bed.WaitProviderReadyAsync("default", p);
        }
        await bed.Kube.CreateClusterAsync("default", "mover");
        var before = await bed.WaitReadyAsync("default", "mover");
        var since = DateTimeOffset.UtcNow;

        await bed.Kube.PatchClusterAsync("default", "mover", ProviderRef("elsewhere"));
        var refused = await bed.WaitForClusterAsync("default", "mover",
            c => c.Status?.Conditions?.Any(x => x.Type == "Synced" && x.Reason == ClusterConditions.Reasons.ProviderChangeRefused) == true, "ProviderChangeRefused");
        var ready = refused.Status!.Conditions!.Single(x => x.Type == "Ready");
        ready.Status.Should().Be("False");
        ready.Reason.Should().Be(ClusterConditions.Reasons.ProviderChangeRefused);
        ready.Message.Should().Contain($"account {OperatorTestBed.Account}, region us-east-1").And.Contain("spec.providerRef back");
        refused.Status.ClusterARN.Should().Be(before.Status!.ClusterARN);
        await Eventually.UntilAsync(async () => (await EventsAsync(bed, "default", "mover")).Any(e => e.Reason == ClusterConditions.Reasons.ProviderChangeRefused && e.Type == "Warning"),
            "a ProviderChangeRefused event");
        bed.Aws.Ecs.ClusterCount(OtherAccount, "us-east-1").Should().Be(0, "nothing is created in the other account");
        bed.OperatorCalls(since).Keys.Should().NotContain(["CreateCluster", "TagResource", "UntagResource", "UpdateCluster", "DeleteCluster"]);
        (await bed.DescribeAsync("mover"))!.Status.Should().Be("ACTIVE");

        // Back to a provider of the same account and region: applied (its defaultTags too), no second cluster.
        await bed.Kube.PatchClusterAsync("default", "mover", ProviderRef("same-account"));
        await bed.WaitForClusterAsync("default", "mover",
            c => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation
                && c.Status.Conditions!.Any(x => x.Type == "Synced" && x.Reason == "Synced"), "Ready on the same-account provider");
        await Eventually.UntilAsync(async () => (await bed.DescribeAsync("mover"))!.Tags!.Any(t => t.Key == "cost-center" && t.Value == "42"),
            "the new provider's defaultTags applied");
        bed.Aws.Ecs.ClusterCount(OperatorTestBed.Account, "us-east-1").Should().Be(1);
        bed.Aws.Ecs.ClusterCount(OtherAccount, "us-east-1").Should().Be(0);
    }

    [Test]
    public async Task Deletion_during_a_refused_move_is_blocked_and_completes_once_the_provider_is_set_back()
    {
        await using var bed = await OperatorTestBed.StartAsync(resync: TimeSpan.FromSeconds(2));
        bed.Aws.Credentials.Add("other-account-key", "other-account-secret", OtherAccount, "other-user");
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.CreateStaticProviderAsync("default", "elsewhere", "other-account-key", "other-account-secret");
        await bed.WaitProviderReadyAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "elsewhere");
        await bed.Kube.CreateClusterAsync("default", "stranded");
        await bed.WaitReadyAsync("default", "stranded");
        await bed.Kube.PatchClusterAsync("default", "stranded", ProviderRef("elsewhere"));
        await bed.WaitForClusterAsync("default", "stranded",
            c => c.Status?.Conditions?.Any(x => x.Reason == ClusterConditions.Reasons.ProviderChangeRefused) == true, "ProviderChangeRefused");

        await bed.Kube.DeleteClusterAsync("default", "stranded");
        var blocked = await bed.WaitForClusterAsync("default", "stranded",
            c => c.Status?.Conditions?.Any(x => x.Type == "DeletionBlocked" && x.Reason == ClusterConditions.Reasons.ProviderChangeRefused) == true, "DeletionBlocked");
        blocked.Status!.Conditions!.Single(x => x.Type == "DeletionBlocked").Message.Should().Contain("spec.providerRef back");
        (await bed.DescribeAsync("stranded"))!.Status.Should().Be("ACTIVE");

        await bed.Kube.PatchClusterAsync("default", "stranded", ProviderRef("p"));
        await bed.WaitGoneAsync("default", "stranded");
        var cluster = await bed.DescribeAsync("stranded");
        (cluster is null || cluster.Status == "INACTIVE").Should().BeTrue("deleted in the account where it lives");
    }

    private static JsonObject ProviderRef(string name) =>
        new() { ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = name } } };

    private static async Task<IList<k8s.Models.Corev1Event>> EventsAsync(OperatorTestBed bed, string ns, string name) =>
        (await bed.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={name}")).Items;
}
