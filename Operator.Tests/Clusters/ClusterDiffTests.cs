using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="ClusterDiff.Compute"/>: the smallest set of ECS calls, order-insensitive, absent values read as AWS's
/// defaults, so a cluster in sync costs no call.
/// </summary>
[TestFixture]
public sealed class ClusterDiffTests
{
    private const string Arn = "arn:aws:ecs:us-east-1:123456789012:cluster/c";
    private static readonly Dictionary<string, string> OwnerTag = new() { [Ownership.TagKey] = "default/c" };

    private static DesiredCluster Desired(
        IReadOnlyDictionary<string, string>? tags = null, IReadOnlyList<Ecs.ClusterSetting>? settings = null, Ecs.ClusterConfiguration? configuration = null,
        string? serviceConnect = null, IReadOnlyList<string>? providers = null, IReadOnlyList<Ecs.CapacityProviderStrategyItem>? strategy = null) =>
        new("c", tags ?? OwnerTag, settings, configuration, serviceConnect, providers, strategy);

    private static Ecs.Cluster Observed(Func<Ecs.Cluster, Ecs.Cluster>? edit = null)
    {
        var cluster = new Ecs.Cluster { ClusterArn = Arn, ClusterName = "c", Status = "ACTIVE", Tags = [new Ecs.Tag(Ownership.TagKey, "default/c")] };
        return edit is null ? cluster : edit(cluster);
    }

    [Test]
    public void A_cluster_in_sync_costs_no_call()
    {
        var diff = ClusterDiff.Compute(Desired(), Observed(), specChanged: true);
        diff.IsEmpty.Should().BeTrue();
        diff.Describe().Should().BeEmpty();
    }

    [Test]
    public void Settings_are_compared_by_name_in_any_order()
    {
        var want = new[] { new Ecs.ClusterSetting("containerInsights", "enabled") };
        ClusterDiff.Compute(Desired(settings: want), Observed(c => c with { Settings = [new Ecs.ClusterSetting("containerInsights", "enabled")] }), false)
            .IsEmpty.Should().BeTrue();

        var diff = ClusterDiff.Compute(Desired(settings: want), Observed(c => c with { Settings = [new Ecs.ClusterSetting("containerInsights", "disabled")] }), false);
        diff.Update!.Settings.Should().BeEquivalentTo(want);
        diff.Update.Cluster.Should().Be(Arn);
        diff.Describe().Should().Be("settings");
    }

    [Test]
    public void Absent_configuration_values_are_AWSs_defaults()
    {
        var want = new Ecs.ClusterConfiguration { ExecuteCommandConfiguration = new Ecs.ExecuteCommandConfiguration { Logging = "DEFAULT" } };
        ClusterDiff.Compute(Desired(configuration: want), Observed(), false).IsEmpty.Should().BeTrue("no configuration is logging DEFAULT");

        var none = new Ecs.ClusterConfiguration { ExecuteCommandConfiguration = new Ecs.ExecuteCommandConfiguration { Logging = "NONE" } };
        ClusterDiff.Compute(Desired(configuration: none), Observed(), false).Describe().Should().Be("configuration");
    }

    [Test]
    public void A_Service_Connect_name_is_resent_only_when_the_spec_changed()
    {
        var nsArn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1";
        var observed = Observed(c => c with { ServiceConnectDefaults = new Ecs.ClusterServiceConnectDefaults(nsArn) });

        ClusterDiff.Compute(Desired(serviceConnect: "my-app"), observed, specChanged: false).IsEmpty.Should().BeTrue("AWS answers a name with its ARN");
        ClusterDiff.Compute(Desired(serviceConnect: "my-app"), observed, specChanged: true).Describe().Should().Be("serviceConnectDefaults");
        ClusterDiff.Compute(Desired(serviceConnect: nsArn), observed, specChanged: true).IsEmpty.Should().BeTrue();
        ClusterDiff.Compute(Desired(serviceConnect: ""), Observed(), specChanged: true).IsEmpty.Should().BeTrue("\"\" asks for none, and there is none");
    }

    [Test]
    public void Capacity_providers_and_strategy_are_compared_as_sets_with_defaults()
    {
        var observed = Observed(c => c with
        {
            CapacityProviders = ["FARGATE_SPOT", "FARGATE"],
            DefaultCapacityProviderStrategy = [new Ecs.CapacityProviderStrategyItem("FARGATE", 1, null)],
        });
        var same = Desired(providers: ["FARGATE", "FARGATE_SPOT"], strategy: [new Ecs.CapacityProviderStrategyItem("FARGATE", 1, 0)]);
        ClusterDiff.Compute(same, observed, false).IsEmpty.Should().BeTrue("base null is base 0");

        var put = ClusterDiff.Compute(Desired(providers: ["FARGATE"]), observed, false).CapacityProviders!;
        put.CapacityProviders.Should().Equal("FARGATE");
        put.DefaultCapacityProviderStrategy.Should().ContainSingle().Which.CapacityProvider.Should().Be("FARGATE", "the observed strategy is kept");
    }

    [Test]
    public void Removing_a_provider_drops_it_from_a_strategy_the_spec_leaves_alone()
    {
        var observed = Observed(c => c with
        {
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new Ecs.CapacityProviderStrategyItem("FARGATE_SPOT", 1, 0)],
        });
        var put = ClusterDiff.Compute(Desired(providers: ["FARGATE"]), observed, false).CapacityProviders!;
        put.DefaultCapacityProviderStrategy.Should().BeEmpty("AWS refuses a strategy naming a provider that is not associated");
    }

    [Test]
    public void Unmanaged_capacity_providers_are_left_alone()
    {
        var observed = Observed(c => c with { CapacityProviders = ["FARGATE"] });
        ClusterDiff.Compute(Desired(), observed, true).CapacityProviders.Should().BeNull();
    }

    [Test]
    public void Tags_are_set_and_removed_for_exactly_the_difference_except_aws_tags()
    {
        var desired = Desired(tags: new Dictionary<string, string>(OwnerTag) { ["team"] = "a", ["env"] = "dev" });
        var observed = Observed(c => c with
        {
            Tags = [new Ecs.Tag(Ownership.TagKey, "default/c"), new Ecs.Tag("team", "b"), new Ecs.Tag("stray", "x"), new Ecs.Tag("aws:cloudformation:stack-name", "s")],
        });

        var diff = ClusterDiff.Compute(desired, observed, false);
        diff.TagsToSet.Should().Equal(new Ecs.Tag("env", "dev"), new Ecs.Tag("team", "a"));
        diff.TagKeysToRemove.Should().Equal("stray");
        diff.Describe().Should().Be("tags");
    }

    [Test]
    public void Describe_lists_every_kind_of_change_in_a_fixed_order()
    {
        var diff = ClusterDiff.Compute(
            Desired(tags: new Dictionary<string, string>(OwnerTag) { ["x"] = "1" }, settings: [new Ecs.ClusterSetting("containerInsights", "enabled")],
                configuration: new Ecs.ClusterConfiguration { ExecuteCommandConfiguration = new Ecs.ExecuteCommandConfiguration { Logging = "NONE" } },
                serviceConnect: "ns", providers: ["FARGATE"]),
            Observed(), specChanged: true);
        diff.Describe().Should().Be("settings, configuration, serviceConnectDefaults, capacity providers, tags");
    }
}
