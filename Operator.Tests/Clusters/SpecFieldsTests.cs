using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// "Absent" and "empty" told apart by the field's managed state (<see cref="SpecFields"/>): a field never set is not
/// managed (null desired, no ECS call), a field set once and then absent (as server-side apply stores an applied
/// <c>[]</c>) is desired empty, and the diff against a cluster that has it clears it.
/// </summary>
[TestFixture]
public sealed class SpecFieldsTests
{
    private static readonly AWSProvider Provider = new() { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" } };

    private static readonly Ecs.Cluster Full = new()
    {
        ClusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/c",
        ClusterName = "c",
        Status = "ACTIVE",
        CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
        DefaultCapacityProviderStrategy = [new Ecs.CapacityProviderStrategyItem("FARGATE", 1, 0)],
        Configuration = new Ecs.ClusterConfiguration
        {
            ExecuteCommandConfiguration = new Ecs.ExecuteCommandConfiguration
            {
                Logging = "OVERRIDE",
                LogConfiguration = new Ecs.ExecuteCommandLogConfiguration { CloudWatchLogGroupName = "/ecs/exec" },
            },
        },
        ServiceConnectDefaults = new Ecs.ClusterServiceConnectDefaults("arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-1"),
        Tags = [new Ecs.Tag(Ownership.TagKey, "default/c")],
    };

    private static ECSCluster Object(Action<ECSClusterSpec>? spec = null, params string[] managed)
    {
        var obj = new ECSCluster
        {
            Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "default", Generation = 2 },
            Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "c" },
            Status = managed.Length == 0 ? null : new ECSClusterStatus { ManagedSpecFields = [.. managed] },
        };
        spec?.Invoke(obj.Spec);
        return obj;
    }

    [Test]
    public void A_field_never_set_is_not_managed_and_costs_no_call()
    {
        var desired = DesiredCluster.From(Object(), Provider);
        desired.CapacityProviders.Should().BeNull();
        desired.Strategy.Should().BeNull();
        desired.Configuration.Should().BeNull();
        desired.ServiceConnectNamespace.Should().BeNull();
        var diff = ClusterDiff.Compute(desired, Full, specChanged: true);
        diff.CapacityProviders.Should().BeNull();
        diff.Update.Should().BeNull();
    }

    [Test]
    public void A_field_set_once_and_then_absent_is_cleared_in_ECS()
    {
        var obj = Object(managed: [SpecFields.CapacityProviders, SpecFields.Configuration, SpecFields.Strategy, SpecFields.ServiceConnectDefaults]);
        var desired = DesiredCluster.From(obj, Provider);
        desired.CapacityProviders.Should().BeEmpty();
        desired.Strategy.Should().BeEmpty();
        desired.Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("DEFAULT");
        desired.ServiceConnectNamespace.Should().BeEmpty();

        var diff = ClusterDiff.Compute(desired, Full, specChanged: true);
        diff.CapacityProviders!.CapacityProviders.Should().BeEmpty();
        diff.CapacityProviders.DefaultCapacityProviderStrategy.Should().BeEmpty();
        diff.Update!.Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("DEFAULT");
        diff.Update.ServiceConnectDefaults!.Namespace.Should().BeEmpty("ECS removes Service Connect defaults given an empty namespace");
        desired.ToCreateRequest().ServiceConnectDefaults.Should().BeNull("a new cluster is created without them");
    }

    [Test]
    public void A_cleared_cluster_is_in_sync_with_a_managed_absent_field()
    {
        var obj = Object(managed: [SpecFields.CapacityProviders, SpecFields.Configuration, SpecFields.Strategy, SpecFields.ServiceConnectDefaults]);
        var cleared = Full with
        {
            CapacityProviders = [],
            DefaultCapacityProviderStrategy = [],
            Configuration = new Ecs.ClusterConfiguration { ExecuteCommandConfiguration = new Ecs.ExecuteCommandConfiguration { Logging = "DEFAULT" } },
            ServiceConnectDefaults = null,
        };
        ClusterDiff.Compute(DesiredCluster.From(obj, Provider), cleared, specChanged: false).IsEmpty.Should().BeTrue();
    }

    [Test]
    public void Managed_is_what_was_managed_and_what_the_spec_sets_now()
    {
        SpecFields.Managed(Object()).Should().BeNull();
        SpecFields.Managed(Object(s => s.CapacityProviders = [])).Should().Equal(SpecFields.CapacityProviders);
        SpecFields.Managed(Object(s => s.ServiceConnectDefaults = new ServiceConnectDefaults { Namespace = "n" }, SpecFields.Configuration))
            .Should().Equal(SpecFields.Configuration, SpecFields.ServiceConnectDefaults);
    }
}
