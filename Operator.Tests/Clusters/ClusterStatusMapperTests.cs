using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="ClusterStatusMapper"/>: how a DescribeClusters answer shows in status. The observed fields are canonical
/// (sorted, empty as absent) so ECS's order never causes a write; lastSyncTime moves only when something changed.
/// </summary>
[TestFixture]
public sealed class ClusterStatusMapperTests
{
    private static readonly DateTime Then = new(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Now = Then.AddHours(1);

    private static Ecs.Cluster Cluster(string status = Ecs.ClusterStatus.Active) => new()
    {
        ClusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/c", ClusterName = "c", Status = status,
        RunningTasksCount = 2, PendingTasksCount = 1, ActiveServicesCount = 3, RegisteredContainerInstancesCount = 4,
        CapacityProviders = ["FARGATE_SPOT", "FARGATE"],
        DefaultCapacityProviderStrategy = [new Ecs.CapacityProviderStrategyItem("FARGATE_SPOT", 1, 0), new Ecs.CapacityProviderStrategyItem("FARGATE", 2, 1)],
        Settings = [new Ecs.ClusterSetting("containerInsights", "enabled")],
        ServiceConnectDefaults = new Ecs.ClusterServiceConnectDefaults("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1"),
        Tags = [new Ecs.Tag("b", "2"), new Ecs.Tag("a", "1")],
    };

    [Test]
    public void An_answer_is_copied_sorted()
    {
        var status = new ECSClusterStatus();
        ClusterStatusMapper.Apply(status, Cluster(), Now);

        status.Should().Match<ECSClusterStatus>(s => s.ClusterARN == "arn:aws:ecs:us-east-1:123456789012:cluster/c" && s.Status == "ACTIVE"
            && s.RunningTasksCount == 2 && s.PendingTasksCount == 1 && s.ActiveServicesCount == 3 && s.RegisteredContainerInstancesCount == 4);
        status.CapacityProviders.Should().Equal("FARGATE", "FARGATE_SPOT");
        status.DefaultCapacityProviderStrategy!.Select(i => i.CapacityProvider).Should().Equal("FARGATE", "FARGATE_SPOT");
        status.Tags!.Keys.Should().Equal("a", "b");
        status.ServiceConnectDefaults!.Namespace.Should().EndWith("ns-1");
        status.LastSyncTime.Should().Be(Now);
    }

    [Test]
    public void The_same_answer_in_another_order_changes_nothing()
    {
        var status = new ECSClusterStatus();
        ClusterStatusMapper.Apply(status, Cluster(), Then);
        var reordered = Cluster() with
        {
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            Tags = [new Ecs.Tag("a", "1"), new Ecs.Tag("b", "2")],
        };

        ClusterStatusMapper.Differs(status, reordered).Should().BeFalse();
        ClusterStatusMapper.Apply(status, reordered, Now);
        status.LastSyncTime.Should().Be(Then, "nothing changed, so steady state costs no write");

        ClusterStatusMapper.Apply(status, reordered with { RunningTasksCount = 5 }, Now);
        status.LastSyncTime.Should().Be(Now);
    }

    [Test]
    public void An_answer_without_optional_parts_does_not_erase_them()
    {
        var status = new ECSClusterStatus();
        ClusterStatusMapper.Apply(status, Cluster(), Then);
        ClusterStatusMapper.Apply(status, new Ecs.Cluster { ClusterArn = status.ClusterARN, ClusterName = "c", Status = Ecs.ClusterStatus.Deprovisioning }, Now, observedState: false);

        status.Status.Should().Be(Ecs.ClusterStatus.Deprovisioning);
        status.Tags.Should().NotBeNull("DeleteCluster's answer leaves them out");
        status.RunningTasksCount.Should().Be(0);
    }

    [Test]
    public void Forget_clears_everything_about_an_ECS_cluster()
    {
        var status = new ECSClusterStatus { ManagedSpecFields = ["capacityProviders"], Ready = true };
        ClusterStatusMapper.Apply(status, Cluster(), Now);
        ClusterStatusMapper.ShowsEcs(status).Should().BeTrue();

        ClusterStatusMapper.Forget(status);
        ClusterStatusMapper.ShowsEcs(status).Should().BeFalse();
        status.LastSyncTime.Should().BeNull();
        status.ManagedSpecFields.Should().Equal(["capacityProviders"], "what the spec managed is not ECS's");
        ClusterStatusMapper.ShowsEcs(null).Should().BeFalse();
    }

    [TestCase(Ecs.ClusterStatus.Active, null, "Active", "ECS cluster c is ACTIVE")]
    [TestCase(Ecs.ClusterStatus.Active, Ecs.ClusterStatus.UpdateInProgress, "Active", "ECS cluster c is ACTIVE (capacity provider update in progress)")]
    [TestCase(Ecs.ClusterStatus.Provisioning, null, "Provisioning", "ECS cluster c is being created")]
    [TestCase(Ecs.ClusterStatus.Deprovisioning, null, "Deprovisioning", "ECS cluster c is being deleted")]
    [TestCase(Ecs.ClusterStatus.Failed, null, "Failed", "ECS cluster c is FAILED (check the operator logs and the capacity providers)")]
    [TestCase(Ecs.ClusterStatus.Inactive, null, "Inactive", "ECS cluster c is INACTIVE")]
    public void The_Ready_reason_follows_ECSs_state(string state, string? attachments, string reason, string message) =>
        ClusterStatusMapper.ReadyReason(Cluster(state) with { AttachmentsStatus = attachments }).Should().Be((reason, message));

    [TestCase(Ecs.ClusterStatus.Active, null, false)]
    [TestCase(Ecs.ClusterStatus.Active, Ecs.ClusterStatus.UpdateInProgress, true)]
    [TestCase(Ecs.ClusterStatus.Provisioning, null, true)]
    [TestCase(Ecs.ClusterStatus.Deprovisioning, null, true)]
    [TestCase(Ecs.ClusterStatus.Failed, null, false)]
    public void Transitions_are_PROVISIONING_DEPROVISIONING_and_attachment_updates(string state, string? attachments, bool transitional) =>
        ClusterStatusMapper.IsTransitional(Cluster(state) with { AttachmentsStatus = attachments }).Should().Be(transitional);
}
