using Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Aws;

/// <summary>
/// The ECS client's contract, run unchanged against moto and against the in-repo emulator. Only behaviour both
/// agree on (and AWS documents) lives here; where moto deviates from AWS the case is in
/// <see cref="EcsEmulatorSemanticsTests"/> instead, named after the deviation.
/// </summary>
[TestFixtureSource(nameof(Backends))]
public sealed class EcsContractTests(string backendName)
{
    public static readonly string[] Backends = [EcsBackend.Moto, EcsBackend.Emulator];

    private EcsBackend _backend = null!;
    private EcsClient _ecs = null!;

    [OneTimeSetUp]
    public async Task StartBackend()
    {
        _backend = await EcsBackend.StartAsync(backendName);
        _ecs = _backend.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopBackend() => await _backend.DisposeAsync();

    [SetUp]
    public Task Reset() => _backend.ResetAsync();

    private string Arn(string name) => $"arn:aws:ecs:{EcsBackend.Region}:{_backend.AccountId}:cluster/{name}";

    [Test]
    public async Task CreateCluster_returns_an_active_cluster_with_the_requested_state()
    {
        var response = await _ecs.CreateClusterAsync(new CreateClusterRequest
        {
            ClusterName = "hybrid-cluster",
            Tags = [new Tag("Name", "hybrid-cluster"), new Tag("Environment", "production")],
            Settings = [new ClusterSetting("containerInsights", "enabled")],
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 80, 10), new CapacityProviderStrategyItem("FARGATE_SPOT", 20)],
            ServiceConnectDefaults = new ClusterServiceConnectDefaults("my-app-namespace"),
        });

        var cluster = response.Cluster!;
        cluster.ClusterArn.Should().Be(Arn("hybrid-cluster"));
        cluster.ClusterName.Should().Be("hybrid-cluster");
        cluster.Status.Should().Be(ClusterStatus.Active);
        cluster.Tags.Should().BeEquivalentTo([new Tag("Name", "hybrid-cluster"), new Tag("Environment", "production")]);
        cluster.Settings.Should().BeEquivalentTo([new ClusterSetting("containerInsights", "enabled")]);
        cluster.CapacityProviders.Should().BeEquivalentTo(["FARGATE", "FARGATE_SPOT"]);
        cluster.DefaultCapacityProviderStrategy.Should().BeEquivalentTo(
            [new CapacityProviderStrategyItem("FARGATE", 80, 10), new CapacityProviderStrategyItem("FARGATE_SPOT", 20, 0)],
            o => o.Excluding(i => i.Base));
        cluster.ServiceConnectDefaults!.Namespace.Should().Contain("my-app-namespace");
        response.RequestId.Should().NotBeNullOrEmpty();
    }

    [Test]
    public async Task CreateCluster_twice_with_the_same_request_is_idempotent()
    {
        var request = new CreateClusterRequest { ClusterName = "fargate-cluster", Tags = [new Tag("Team", "platform")] };
        var first = await _ecs.CreateClusterAsync(request);
        var second = await _ecs.CreateClusterAsync(request);

        second.Cluster!.ClusterArn.Should().Be(first.Cluster!.ClusterArn);
        second.Cluster.Status.Should().Be(ClusterStatus.Active);
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["fargate-cluster"], Include = [ClusterField.Tags] });
        described.Clusters.Should().ContainSingle().Which.Tags.Should().BeEquivalentTo([new Tag("Team", "platform")]);
    }

    [Test]
    public async Task DescribeClusters_with_every_include_returns_settings_configuration_and_tags()
    {
        var configuration = new ClusterConfiguration
        {
            ExecuteCommandConfiguration = new ExecuteCommandConfiguration
            {
                Logging = "OVERRIDE",
                KmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
                LogConfiguration = new ExecuteCommandLogConfiguration { CloudWatchLogGroupName = "/ecs/execute-command", CloudWatchEncryptionEnabled = true },
            },
        };
        await _ecs.CreateClusterAsync(new CreateClusterRequest
        {
            ClusterName = "debug-cluster",
            Configuration = configuration,
            Settings = [new ClusterSetting("containerInsights", "enabled")],
            Tags = [new Tag("Name", "debug-cluster")],
        });

        var response = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["debug-cluster"], Include = ClusterField.All });

        response.Failures.Should().BeEmpty();
        var cluster = response.Clusters.Should().ContainSingle().Subject;
        cluster.Status.Should().Be(ClusterStatus.Active);
        cluster.Settings.Should().BeEquivalentTo([new ClusterSetting("containerInsights", "enabled")]);
        cluster.Configuration.Should().BeEquivalentTo(configuration);
        cluster.Tags.Should().BeEquivalentTo([new Tag("Name", "debug-cluster")]);
        cluster.RunningTasksCount.Should().Be(0);
        cluster.ActiveServicesCount.Should().Be(0);
    }

    [Test]
    public async Task DescribeClusters_without_the_TAGS_include_omits_tags()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "tagged", Tags = [new Tag("a", "b")] });

        var response = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["tagged"] });

        response.Clusters.Should().ContainSingle().Which.Tags.Should().BeNullOrEmpty();
    }

    [Test]
    public async Task DescribeClusters_reports_an_unknown_cluster_as_a_MISSING_failure()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "present" });

        var response = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["present", "absent"], Include = ClusterField.All });

        response.Clusters.Should().ContainSingle().Which.ClusterName.Should().Be("present");
        response.Failures.Should().ContainSingle().Which.Should().BeEquivalentTo(new Failure(Arn("absent"), "MISSING"));
    }

    [Test]
    public async Task DescribeClusters_accepts_ARNs()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "by-arn" });

        var response = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = [Arn("by-arn")] });

        response.Clusters.Should().ContainSingle().Which.ClusterArn.Should().Be(Arn("by-arn"));
    }

    [Test]
    public async Task UpdateCluster_changes_settings_configuration_and_service_connect_defaults()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "to-update", Settings = [new ClusterSetting("containerInsights", "enabled")] });
        var configuration = new ClusterConfiguration
        {
            ExecuteCommandConfiguration = new ExecuteCommandConfiguration
            {
                Logging = "OVERRIDE",
                LogConfiguration = new ExecuteCommandLogConfiguration
                {
                    S3BucketName = "audit-logs-bucket", S3EncryptionEnabled = true, S3KeyPrefix = "ecs-exec/",
                    CloudWatchLogGroupName = "/ecs/audit/exec", CloudWatchEncryptionEnabled = true,
                },
            },
        };

        var updated = await _ecs.UpdateClusterAsync(new UpdateClusterRequest
        {
            Cluster = "to-update",
            Settings = [new ClusterSetting("containerInsights", "disabled")],
            Configuration = configuration,
            ServiceConnectDefaults = new ClusterServiceConnectDefaults("service-mesh"),
        });

        updated.Cluster!.ClusterName.Should().Be("to-update");
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["to-update"], Include = ClusterField.All });
        var cluster = described.Clusters!.Single();
        cluster.Settings.Should().BeEquivalentTo([new ClusterSetting("containerInsights", "disabled")]);
        cluster.Configuration.Should().BeEquivalentTo(configuration);
        cluster.ServiceConnectDefaults!.Namespace.Should().Contain("service-mesh");
    }

    [Test]
    public async Task PutClusterCapacityProviders_sets_providers_and_default_strategy()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "serverless-prod" });

        var response = await _ecs.PutClusterCapacityProvidersAsync(new PutClusterCapacityProvidersRequest
        {
            Cluster = "serverless-prod",
            CapacityProviders = ["FARGATE", "FARGATE_SPOT"],
            DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 70, 5), new CapacityProviderStrategyItem("FARGATE_SPOT", 30)],
        });

        response.Cluster!.CapacityProviders.Should().BeEquivalentTo(["FARGATE", "FARGATE_SPOT"]);
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["serverless-prod"], Include = ClusterField.All });
        var cluster = described.Clusters!.Single();
        cluster.CapacityProviders.Should().BeEquivalentTo(["FARGATE", "FARGATE_SPOT"]);
        cluster.DefaultCapacityProviderStrategy!.Select(s => (s.CapacityProvider, s.Weight, s.Base ?? 0))
            .Should().BeEquivalentTo([("FARGATE", (int?)70, 5), ("FARGATE_SPOT", (int?)30, 0)]);
    }

    [Test]
    public async Task TagResource_UntagResource_and_ListTagsForResource_round_trip()
    {
        var arn = (await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "tags", Tags = [new Tag("keep", "1"), new Tag("drop", "2")] })).Cluster!.ClusterArn!;

        await _ecs.TagResourceAsync(new TagResourceRequest { ResourceArn = arn, Tags = [new Tag("added", "3"), new Tag("keep", "changed")] });
        await _ecs.UntagResourceAsync(new UntagResourceRequest { ResourceArn = arn, TagKeys = ["drop"] });
        var tags = await _ecs.ListTagsForResourceAsync(new ListTagsForResourceRequest { ResourceArn = arn });

        tags.Tags.Should().BeEquivalentTo([new Tag("keep", "changed"), new Tag("added", "3")]);
    }

    [Test]
    public async Task DeleteCluster_returns_the_cluster_INACTIVE_and_it_is_then_described_INACTIVE()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "short-lived" });

        var deleted = await _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "short-lived" });
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["short-lived"] });

        deleted.Cluster!.Status.Should().Be(ClusterStatus.Inactive);
        described.Clusters.Should().ContainSingle().Which.Status.Should().Be(ClusterStatus.Inactive);
    }

    [Test]
    public async Task Operations_on_an_unknown_cluster_throw_ClusterNotFoundException()
    {
        var delete = () => _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "nope" });
        var update = () => _ecs.UpdateClusterAsync(new UpdateClusterRequest { Cluster = "nope", Settings = [new ClusterSetting("containerInsights", "enabled")] });

        var error = (await delete.Should().ThrowAsync<ClusterNotFoundException>()).Which;
        error.ErrorCode.Should().Be("ClusterNotFoundException");
        error.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        error.Retryable.Should().BeFalse();
        error.Message.Should().NotBeNullOrEmpty();
        await update.Should().ThrowAsync<ClusterNotFoundException>();
    }

    [Test]
    public async Task ListServices_ListTasks_and_ListContainerInstances_of_an_empty_cluster_are_empty()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "empty" });

        (await _ecs.ListServicesAsync(new ListServicesRequest { Cluster = "empty" })).ServiceArns.Should().BeEmpty();
        (await _ecs.ListTasksAsync(new ListTasksRequest { Cluster = "empty" })).TaskArns.Should().BeEmpty();
        (await _ecs.ListContainerInstancesAsync(new ListContainerInstancesRequest { Cluster = "empty" })).ContainerInstanceArns.Should().BeEmpty();
    }

    [Test]
    public async Task DescribeCapacityProviders_reports_an_unknown_provider_as_MISSING()
    {
        var response = await _ecs.DescribeCapacityProvidersAsync(new DescribeCapacityProvidersRequest { CapacityProviders = ["my-ec2-capacity-provider"] });

        response.CapacityProviders.Should().BeEmpty();
        response.Failures.Should().ContainSingle().Which.Reason.Should().Be("MISSING");
    }

    [Test]
    public async Task Signed_requests_are_accepted()
    {
        // The emulator verifies every signature (moto accepts any); the whole fixture runs signed, this states it.
        var response = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["x"] });

        response.Failures.Should().ContainSingle();
    }
}
