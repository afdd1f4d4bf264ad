using Operator.Core.Aws.Ecs.Model;
using Operator.Core.Aws.Resilience;

namespace Operator.Tests.Aws;

/// <summary>
/// AWS behaviour that moto does not reproduce (see DESIGN.md, "moto's known gaps"), so it runs against the in-repo
/// emulator only. Each test name says what moto does instead. Time is a FakeTimeProvider shared by the emulator
/// and the signing client.
/// </summary>
public sealed class EcsEmulatorSemanticsTests
{
    private const string Account = AwsCredentialStore.DefaultAccountId;
    private const string Region = EcsBackend.Region;
    private FakeTimeProvider _time = null!;
    private EcsBackend _backend = null!;
    private AwsEmulator _emulator = null!;
    private EcsClient _ecs = null!;

    [SetUp]
    public async Task Start()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero));
        _backend = await EcsBackend.StartAsync(EcsBackend.Emulator, new AwsEmulatorOptions
        {
            TimeProvider = _time,
            AttachmentUpdateDuration = TimeSpan.FromSeconds(30),
            InactiveRetention = TimeSpan.FromMinutes(60),
        });
        _emulator = _backend.AwsEmulator!;
        _ecs = _backend.CreateClient(time: _time);
    }

    [TearDown]
    public async Task Stop() => await _backend.DisposeAsync();

    [Test]
    public async Task UpdateClusterSettings_updates_container_insights__moto_answers_500()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "c" });

        var response = await _ecs.UpdateClusterSettingsAsync(new UpdateClusterSettingsRequest { Cluster = "c", Settings = [new ClusterSetting("containerInsights", "enhanced")] });

        response.Cluster!.Settings.Should().BeEquivalentTo([new ClusterSetting("containerInsights", "enhanced")]);
    }

    [TestCase(1, 0, 0, 0, typeof(ClusterContainsServicesException))]
    [TestCase(0, 2, 0, 0, typeof(ClusterContainsTasksException))]
    [TestCase(0, 0, 1, 0, typeof(ClusterContainsTasksException))]
    [TestCase(0, 0, 0, 3, typeof(ClusterContainsContainerInstancesException))]
    public async Task DeleteCluster_refuses_while_work_remains__moto_always_deletes(int services, int running, int pending, int instances, Type expected)
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "busy" });
        _emulator.Ecs.SetWorkload(Account, Region, "busy", services, running, pending, instances);

        var delete = () => _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "busy" });

        var error = (await delete.Should().ThrowAsync<EcsException>()).Which;
        error.Should().BeOfType(expected);
        error.Retryable.Should().BeFalse();
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["busy"], Include = ClusterField.All });
        var cluster = described.Clusters!.Single();
        cluster.Status.Should().Be(ClusterStatus.Active);
        (cluster.ActiveServicesCount, cluster.RunningTasksCount, cluster.PendingTasksCount, cluster.RegisteredContainerInstancesCount)
            .Should().Be((services, running, pending, instances));
    }

    [Test]
    public async Task List_calls_name_what_blocks_a_delete()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "busy" });
        _emulator.Ecs.SetWorkload(Account, Region, "busy", activeServices: 12, runningTasks: 2, pendingTasks: 1, containerInstances: 1);

        var firstPage = await _ecs.ListServicesAsync(new ListServicesRequest { Cluster = "busy" });
        var secondPage = await _ecs.ListServicesAsync(new ListServicesRequest { Cluster = "busy", NextToken = firstPage.NextToken });

        firstPage.ServiceArns.Should().HaveCount(10);
        secondPage.ServiceArns.Should().HaveCount(2);
        secondPage.NextToken.Should().BeNull();
        (await _ecs.ListTasksAsync(new ListTasksRequest { Cluster = "busy" })).TaskArns.Should().HaveCount(3);
        (await _ecs.ListContainerInstancesAsync(new ListContainerInstancesRequest { Cluster = "busy" })).ContainerInstanceArns.Should().ContainSingle();
    }

    [Test]
    public async Task Statistics_reflect_the_workload__moto_has_no_statistics()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "stats" });
        _emulator.Ecs.SetWorkload(Account, Region, "stats", activeServices: 2, runningTasks: 5, pendingTasks: 1);

        var cluster = (await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["stats"], Include = [ClusterField.Statistics] })).Clusters!.Single();

        cluster.Statistics.Should().ContainEquivalentOf(new EcsKeyValuePair("runningFargateTasksCount", "5"));
        cluster.Statistics.Should().ContainEquivalentOf(new EcsKeyValuePair("activeFargateServiceCount", "2"));
        cluster.Settings.Should().BeNull("SETTINGS was not included");
    }

    [Test]
    public async Task A_deleted_cluster_stays_INACTIVE_for_the_retention_window_then_is_MISSING()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "gone" });
        await _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "gone" });

        _time.Advance(TimeSpan.FromMinutes(59));
        (await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["gone"] })).Clusters.Should().ContainSingle().Which.Status.Should().Be(ClusterStatus.Inactive);
        var deleteAgain = () => _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "gone" });
        await deleteAgain.Should().ThrowAsync<ClusterNotFoundException>();

        _time.Advance(TimeSpan.FromMinutes(2));
        var described = await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["gone"] });
        described.Clusters.Should().BeEmpty();
        described.Failures.Should().ContainSingle().Which.Reason.Should().Be("MISSING");
    }

    [Test]
    public async Task CreateCluster_of_an_INACTIVE_name_reactivates_it_with_the_new_state()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "phoenix", Tags = [new Tag("generation", "1")] });
        await _ecs.DeleteClusterAsync(new DeleteClusterRequest { Cluster = "phoenix" });

        var recreated = await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "phoenix", Tags = [new Tag("generation", "2")] });

        recreated.Cluster!.Status.Should().Be(ClusterStatus.Active);
        recreated.Cluster.Tags.Should().BeEquivalentTo([new Tag("generation", "2")]);
    }

    [Test]
    public async Task CreateCluster_of_an_existing_ACTIVE_name_returns_it_unchanged__moto_replaces_it()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "keep", Tags = [new Tag("owner", "first")], Settings = [new ClusterSetting("containerInsights", "enabled")] });

        var second = await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "keep", Tags = [new Tag("owner", "second")] });

        second.Cluster!.Tags.Should().BeEquivalentTo([new Tag("owner", "first")]);
        second.Cluster.Settings.Should().BeEquivalentTo([new ClusterSetting("containerInsights", "enabled")]);
        _emulator.Ecs.ClusterCount(Account, Region).Should().Be(1);
    }

    [Test]
    public async Task A_new_cluster_is_PROVISIONING_for_the_configured_time()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator, new AwsEmulatorOptions { TimeProvider = _time, ProvisioningDuration = TimeSpan.FromSeconds(90) });
        var ecs = backend.CreateClient(time: _time);

        var created = await ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "slow" });
        created.Cluster!.Status.Should().Be(ClusterStatus.Provisioning);

        _time.Advance(TimeSpan.FromSeconds(91));
        (await ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["slow"] })).Clusters!.Single().Status.Should().Be(ClusterStatus.Active);
    }

    [Test]
    public async Task Capacity_provider_association_is_UPDATE_IN_PROGRESS_and_blocks_a_second_put__moto_has_no_attachments()
    {
        _emulator.Ecs.RegisterCapacityProvider(Account, Region, "my-ec2-capacity-provider");
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "hybrid" });
        var put = new PutClusterCapacityProvidersRequest
        {
            Cluster = "hybrid",
            CapacityProviders = ["FARGATE", "my-ec2-capacity-provider"],
            DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 1)],
        };

        var first = await _ecs.PutClusterCapacityProvidersAsync(put);
        first.Cluster!.AttachmentsStatus.Should().Be(ClusterStatus.UpdateInProgress);
        var again = () => _ecs.PutClusterCapacityProvidersAsync(put);
        (await again.Should().ThrowAsync<UpdateInProgressException>()).Which.Retryable.Should().BeFalse();

        _time.Advance(TimeSpan.FromSeconds(31));
        var cluster = (await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["hybrid"], Include = [ClusterField.Attachments] })).Clusters!.Single();
        cluster.AttachmentsStatus.Should().Be(ClusterStatus.UpdateComplete);
        cluster.Attachments.Should().ContainSingle().Which.Should().Match<Attachment>(a => a.Type == "as_policy" && a.Status == "CREATED");
        (await again()).Cluster!.AttachmentsStatus.Should().Be(ClusterStatus.UpdateInProgress);
    }

    [Test]
    public async Task DescribeCapacityProviders_knows_FARGATE_and_registered_providers__moto_reports_FARGATE_MISSING()
    {
        _emulator.Ecs.RegisterCapacityProvider(Account, Region, "my-ec2-capacity-provider");

        var response = await _ecs.DescribeCapacityProvidersAsync(new DescribeCapacityProvidersRequest { CapacityProviders = ["FARGATE", "FARGATE_SPOT", "my-ec2-capacity-provider", "nope"] });

        response.CapacityProviders!.Select(p => p.Name).Should().Equal("FARGATE", "FARGATE_SPOT", "my-ec2-capacity-provider");
        response.Failures.Should().ContainSingle().Which.Arn.Should().EndWith("capacity-provider/nope");
    }

    private static IEnumerable<TestCaseData> InvalidRequests()
    {
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "has space" }).SetName("Invalid cluster name is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = new string('a', 256) }).SetName("Cluster name over 255 characters is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", Tags = [new Tag("aws:reserved", "x")] }).SetName("aws: tag key is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", Tags = Enumerable.Range(0, 51).Select(i => new Tag($"k{i}", "v")).ToList() }).SetName("More than 50 tags are rejected (moto accepts them)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", Settings = [new ClusterSetting("containerInsights", "sometimes")] }).SetName("Invalid containerInsights value is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", CapacityProviders = ["my-ec2-capacity-provider"] }).SetName("Unknown capacity provider is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", CapacityProviders = ["FARGATE"], DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 1001)] }).SetName("Strategy weight over 1000 is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", CapacityProviders = ["FARGATE"], DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 1, 100001)] }).SetName("Strategy base over 100000 is rejected (moto accepts it)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", CapacityProviders = ["FARGATE", "FARGATE_SPOT"], DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE", 1, 1), new CapacityProviderStrategyItem("FARGATE_SPOT", 1, 1)] }).SetName("Two strategy items with a base are rejected (moto accepts them)");
        yield return new TestCaseData(new CreateClusterRequest { ClusterName = "t", CapacityProviders = ["FARGATE"], DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem("FARGATE_SPOT", 1)] }).SetName("Strategy provider not associated is rejected (moto accepts it)");
    }

    [TestCaseSource(nameof(InvalidRequests))]
    public async Task Validation(CreateClusterRequest request)
    {
        var create = () => _ecs.CreateClusterAsync(request);

        var error = (await create.Should().ThrowAsync<InvalidParameterException>()).Which;
        error.Retryable.Should().BeFalse();
        _emulator.Ecs.ClusterCount(Account, Region).Should().Be(0);
    }

    [Test]
    public async Task TagResource_rejects_aws_keys_and_more_than_50_tags_in_total__moto_accepts_them()
    {
        var arn = (await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "t", Tags = Enumerable.Range(0, 50).Select(i => new Tag($"k{i}", "v")).ToList() })).Cluster!.ClusterArn;

        var reserved = () => _ecs.TagResourceAsync(new TagResourceRequest { ResourceArn = arn, Tags = [new Tag("aws:cloudformation:stack-name", "x")] });
        var tooMany = () => _ecs.TagResourceAsync(new TagResourceRequest { ResourceArn = arn, Tags = [new Tag("k50", "v")] });
        var overwrite = () => _ecs.TagResourceAsync(new TagResourceRequest { ResourceArn = arn, Tags = [new Tag("k0", "new")] });

        await reserved.Should().ThrowAsync<InvalidParameterException>();
        await tooMany.Should().ThrowAsync<InvalidParameterException>();
        await overwrite.Should().NotThrowAsync();
    }

    [Test]
    public async Task The_account_bucket_answers_ThrottlingException_Rate_exceeded()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator, new AwsEmulatorOptions { AccountThrottle = new TokenBucketOptions(2, 0.001) });
        var ecs = backend.CreateClient();
        await ecs.DescribeClustersAsync(new DescribeClustersRequest());
        await ecs.DescribeClustersAsync(new DescribeClustersRequest());

        var third = () => ecs.DescribeClustersAsync(new DescribeClustersRequest());

        var error = (await third.Should().ThrowAsync<ThrottlingException>()).Which;
        error.Message.Should().Be("Rate exceeded");
        error.Retryable.Should().BeTrue();
        backend.AwsEmulator!.Calls.CountsByAccount().Should().Equal(new Dictionary<string, int> { [Account] = 3 });
    }

    [Test]
    public async Task Actions_outside_the_guides_policy_can_be_denied()
    {
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "c" });
        _emulator.Credentials.Deny(AwsCredentialStore.DefaultAccessKeyId, "ecs:ListServices");

        var list = () => _ecs.ListServicesAsync(new ListServicesRequest { Cluster = "c" });

        var error = (await list.Should().ThrowAsync<AccessDeniedException>()).Which;
        error.Message.Should().Contain("ecs:ListServices");
        error.Retryable.Should().BeFalse();
        (await _ecs.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["c"] })).Clusters.Should().ContainSingle();
    }

    [Test]
    public async Task Accounts_and_regions_are_isolated()
    {
        _emulator.Credentials.Add("AKIDOTHERACCOUNT0001", "other-secret", "210987654321");
        var other = _backend.CreateClient(new Amazon.Runtime.BasicAWSCredentials("AKIDOTHERACCOUNT0001", "other-secret"), _time);
        var otherRegion = new EcsClient(_backend.Http, _backend.Credentials, new EcsClientOptions { Region = "eu-west-1", Endpoint = _backend.Endpoint }, _time);
        await _ecs.CreateClusterAsync(new CreateClusterRequest { ClusterName = "mine" });

        var created = await other.CreateClusterAsync(new CreateClusterRequest { ClusterName = "mine" });

        created.Cluster!.ClusterArn.Should().Be("arn:aws:ecs:us-east-1:210987654321:cluster/mine");
        (await otherRegion.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["mine"] })).Failures.Should().ContainSingle();
        _emulator.Calls.Count("CreateCluster", accountId: "210987654321").Should().Be(1);
    }
}
