using Operator.Core.Api.V1Alpha1;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="DesiredCluster"/>: what an ECSCluster asks of AWS. Tags are the provider's defaultTags under the spec's
/// tags plus the ownership tag; unmanaged parts are null; the create request leaves an empty Service Connect out; the
/// case-only tag note names each clashing key and where it comes from.
/// </summary>
[TestFixture]
public sealed class DesiredClusterTests
{
    private static AWSProvider Provider(Dictionary<string, string>? defaultTags = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" },
        Spec = new AWSProviderSpec { Region = "us-east-1", DefaultTags = defaultTags },
    };

    private static ECSCluster Object(Action<ECSClusterSpec>? spec = null)
    {
        var obj = new ECSCluster
        {
            Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "team" },
            Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "orders" },
        };
        spec?.Invoke(obj.Spec);
        return obj;
    }

    [Test]
    public void The_spec_tags_win_over_the_providers_and_the_ownership_tag_is_always_there()
    {
        var desired = DesiredCluster.From(
            Object(s => s.Tags = new Dictionary<string, string> { ["env"] = "prod", ["team"] = "a" }),
            Provider(new Dictionary<string, string> { ["env"] = "dev", ["cost-center"] = "42" }));

        desired.Name.Should().Be("orders");
        desired.Tags.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["env"] = "prod", ["team"] = "a", ["cost-center"] = "42", [Ownership.TagKey] = "team/c",
        });
    }

    [Test]
    public void The_spec_is_translated_to_the_ECS_API()
    {
        var desired = DesiredCluster.From(Object(s =>
        {
            s.Settings = [new ClusterSetting { Name = "containerInsights", Value = "enhanced" }];
            s.CapacityProviders = ["FARGATE"];
            s.DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE", Weight = 2, Base = 1 }];
            s.Configuration = new ClusterConfiguration
            {
                ExecuteCommandConfiguration = new ExecuteCommandConfiguration
                {
                    Logging = "OVERRIDE", KmsKeyId = "alias/exec",
                    LogConfiguration = new ExecuteCommandLogConfiguration { S3BucketName = "logs", S3EncryptionEnabled = true, S3KeyPrefix = "exec/" },
                },
            };
            s.ServiceConnectDefaults = new ServiceConnectDefaults { Namespace = "orders-ns" };
        }), Provider());

        desired.Settings.Should().Equal(new Ecs.ClusterSetting("containerInsights", "enhanced"));
        desired.CapacityProviders.Should().Equal("FARGATE");
        desired.Strategy.Should().Equal(new Ecs.CapacityProviderStrategyItem("FARGATE", 2, 1));
        desired.Configuration!.ExecuteCommandConfiguration.Should().BeEquivalentTo(new Ecs.ExecuteCommandConfiguration
        {
            Logging = "OVERRIDE", KmsKeyId = "alias/exec",
            LogConfiguration = new Ecs.ExecuteCommandLogConfiguration { S3BucketName = "logs", S3EncryptionEnabled = true, S3KeyPrefix = "exec/" },
        });
        desired.ServiceConnectNamespace.Should().Be("orders-ns");

        var create = desired.ToCreateRequest();
        create.ClusterName.Should().Be("orders");
        create.ServiceConnectDefaults.Should().Be(new Ecs.ClusterServiceConnectDefaults("orders-ns"));
        create.Tags.Should().ContainEquivalentOf(new Ecs.Tag(Ownership.TagKey, "team/c"));
        create.CapacityProviders.Should().Equal("FARGATE");
    }

    [Test]
    public void An_absent_configuration_that_was_managed_asks_for_logging_DEFAULT()
    {
        var obj = Object();
        obj.Status = new ECSClusterStatus { ManagedSpecFields = [SpecFields.Configuration] };
        DesiredCluster.From(obj, Provider()).Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("DEFAULT");
        DesiredCluster.From(Object(), Provider()).Configuration.Should().BeNull("never set, never managed");
    }

    [Test]
    public void Keys_that_differ_only_in_case_are_noted_with_where_each_comes_from()
    {
        var note = DesiredCluster.CaseOnlyTagNote(
            Object(s => s.Tags = new Dictionary<string, string> { ["Environment"] = "dev", ["Team"] = "a" }),
            Provider(new Dictionary<string, string> { ["environment"] = "dev", ["team"] = "a", ["Team"] = "b" }));
        note.Should().Be("tag keys that differ only in case are separate tags in ECS, so the cluster has each of them: "
            + "environment (the provider's defaultTags) and Environment (spec.tags); team (the provider's defaultTags) and Team (the provider's defaultTags)");

        DesiredCluster.CaseOnlyTagNote(Object(s => s.Tags = new Dictionary<string, string> { ["env"] = "x" }),
            Provider(new Dictionary<string, string> { ["env"] = "y" })).Should().BeNull("the same key is one tag: the spec's value wins");
    }
}
