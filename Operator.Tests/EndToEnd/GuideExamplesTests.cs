using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Every example of the user guide applied unchanged to the running operator (Kubernetes API emulator + ECS/STS
/// emulator, real HTTP and SigV4 everywhere), checked on both sides: the ECSCluster's status and the ECS cluster.
/// </summary>
[TestFixture]
public sealed class GuideExamplesTests
{
    private static readonly string[] ClusterSamples =
    [
        "ecscluster-fargate.yaml", "ecscluster-hybrid.yaml", "ecscluster-debug.yaml", "ecscluster-serverless.yaml",
        "ecscluster-dev.yaml", "ecscluster-service-mesh.yaml", "ecscluster-audit.yaml",
    ];

    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync(awsOptions: new Operator.Testing.Aws.AwsEmulatorOptions { RecordRequests = true });
        _bed.Aws.Ecs.RegisterCapacityProvider(OperatorTestBed.Account, "us-east-1", "my-ec2-capacity-provider");
        // The guide's IRSA provider, as written (default), and in production for the serverless example.
        await _bed.ApplySampleAsync("awsprovider-irsa.yaml");
        await _bed.ApplySampleAsync("awsprovider-irsa.yaml", "production");
        // The guide's static provider as written, and the dev-aws provider its development examples reference.
        await _bed.ApplySampleAsync("secret-aws-credentials.yaml");
        await _bed.ApplySampleAsync("awsprovider-static.yaml");
        await _bed.ApplySampleAsync("secret-aws-credentials.yaml", "development");
        await _bed.ApplySampleAsync("awsprovider-static.yaml", "development", o => o["metadata"]!["name"] = "dev-aws");
        foreach (var sample in ClusterSamples)
        {
            await _bed.ApplySampleAsync(sample);
        }
        // A copy of the Fargate example for the patch test, so the guide's own objects stay as written.
        await _bed.ApplySampleAsync("ecscluster-fargate.yaml", edit: o =>
        {
            o["metadata"]!["name"] = "patched";
            o["spec"]!["clusterName"] = "patched";
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [TestCase("default", "production-aws", "assumed-role/infra-operator-role")]
    [TestCase("default", "localstack", "guide-user")]
    [TestCase("development", "dev-aws", "guide-user")]
    public async Task Both_guide_providers_authenticate(string ns, string name, string identity)
    {
        await _bed.WaitProviderReadyAsync(ns, name);
        var provider = (await _bed.GetProviderAsync(ns, name))!;
        provider.Status!.AccountID.Should().Be(OperatorTestBed.Account);
        provider.Status.CallerIdentity.Should().Contain(identity);
        provider.Status.LastAuthenticationTime.Should().NotBeNull();
        provider.Status.Conditions.Should().ContainSingle(c => c.Type == "Ready" && c.Status == "True" && c.Reason == "Authenticated");
    }

    [TestCase("default", "fargate-cluster")]
    [TestCase("default", "hybrid-cluster")]
    [TestCase("development", "debug-cluster")]
    [TestCase("production", "serverless-cluster")]
    [TestCase("development", "dev-cluster")]
    [TestCase("default", "service-mesh-cluster")]
    [TestCase("default", "audit-cluster")]
    public async Task Guide_cluster_becomes_Ready_with_the_guides_status_fields(string ns, string name)
    {
        var obj = await _bed.WaitReadyAsync(ns, name);
        var status = obj.Status!;
        status.Status.Should().Be("ACTIVE");
        status.ClusterARN.Should().Be($"arn:aws:ecs:us-east-1:{OperatorTestBed.Account}:cluster/{obj.Spec.ClusterName}");
        status.RunningTasksCount.Should().Be(0);
        status.PendingTasksCount.Should().Be(0);
        status.ActiveServicesCount.Should().Be(0);
        status.RegisteredContainerInstancesCount.Should().Be(0);
        status.LastSyncTime.Should().NotBeNull();
        status.Conditions.Should().Contain(c => c.Type == "Ready" && c.Status == "True" && c.ObservedGeneration == obj.Metadata.Generation);
        status.Conditions.Should().Contain(c => c.Type == "Synced" && c.Status == "True");
        obj.Metadata.Finalizers.Should().Contain(ApiGroup.Finalizer);

        var cluster = (await _bed.DescribeAsync(obj.Spec.ClusterName))!;
        cluster.Status.Should().Be("ACTIVE");
        cluster.Settings.Should().ContainEquivalentOf(new { Name = "containerInsights", Value = "enabled" });
        var tags = cluster.Tags!.ToDictionary(t => t.Key, t => t.Value);
        foreach (var (k, v) in obj.Spec.Tags!)
        {
            tags.Should().Contain(k, v);
        }
        tags.Should().Contain("managed-by", "infra-operator", "the provider's defaultTags are merged under the spec's");
        tags.Should().Contain(Ownership.TagKey, $"{ns}/{name}");
    }

    [Test]
    public async Task The_hybrid_cluster_has_its_capacity_providers_and_strategy()
    {
        await _bed.WaitReadyAsync("default", "hybrid-cluster");
        var cluster = (await _bed.DescribeAsync("hybrid-cluster"))!;
        cluster.CapacityProviders.Should().BeEquivalentTo("FARGATE", "FARGATE_SPOT", "my-ec2-capacity-provider");
        cluster.DefaultCapacityProviderStrategy!.Select(s => (s.CapacityProvider, s.Weight ?? 0, s.Base ?? 0))
            .Should().BeEquivalentTo([("FARGATE", 80, 10), ("FARGATE_SPOT", 20, 0)]);
    }

    [Test]
    public async Task The_exec_and_service_connect_examples_are_configured()
    {
        await _bed.WaitReadyAsync("default", "audit-cluster");
        var audit = (await _bed.DescribeAsync("audit-prod"))!.Configuration!.ExecuteCommandConfiguration!;
        audit.Logging.Should().Be("OVERRIDE");
        audit.KmsKeyId.Should().Be("arn:aws:kms:us-east-1:123456789012:key/audit-key");
        audit.LogConfiguration!.S3BucketName.Should().Be("audit-logs-bucket");
        audit.LogConfiguration.S3KeyPrefix.Should().Be("ecs-exec/");
        audit.LogConfiguration.CloudWatchEncryptionEnabled.Should().BeTrue();

        await _bed.WaitReadyAsync("default", "service-mesh-cluster");
        (await _bed.DescribeAsync("service-mesh"))!.ServiceConnectDefaults!.Namespace.Should().Contain("my-app-namespace");
    }

    [Test]
    public async Task Each_field_patch_converges_with_the_minimum_calls()
    {
        var obj = await _bed.WaitReadyAsync("default", "patched");

        // Only the calls naming this cluster count: the fixture's other examples may still be converging.
        async Task<Dictionary<string, int>> PatchAsync(JsonObject spec)
        {
            var since = _bed.Aws.RecordedRequests.Count;
            var generation = obj.Metadata.Generation;
            await _bed.Kube.PatchClusterAsync("default", "patched", new JsonObject { ["spec"] = spec });
            obj = await _bed.WaitForClusterAsync("default", "patched",
                c => c.Metadata.Generation > generation && c.Status?.ObservedGeneration == c.Metadata.Generation && c.Status.Ready, "converged");
            return _bed.OperatorCallsNaming(since, "patched").Where(op => op != "DescribeClusters")
                .GroupBy(op => op).ToDictionary(g => g.Key, g => g.Count());
        }

        (await PatchAsync(new JsonObject { ["tags"] = new JsonObject { ["CostCenter"] = "42" } }))
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["TagResource"] = 1 });
        (await _bed.DescribeAsync("patched"))!.Tags.Should().Contain(t => t.Key == "CostCenter" && t.Value == "42");

        (await PatchAsync(new JsonObject { ["tags"] = new JsonObject { ["Team"] = null } }))
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["UntagResource"] = 1 });
        (await _bed.DescribeAsync("patched"))!.Tags.Should().NotContain(t => t.Key == "Team");

        (await PatchAsync(new JsonObject { ["settings"] = new JsonArray(new JsonObject { ["name"] = "containerInsights", ["value"] = "disabled" }) }))
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["UpdateCluster"] = 1 });
        (await _bed.DescribeAsync("patched"))!.Settings.Should().ContainEquivalentOf(new { Name = "containerInsights", Value = "disabled" });

        (await PatchAsync(new JsonObject { ["capacityProviders"] = new JsonArray("FARGATE") }))
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["PutClusterCapacityProviders"] = 1 });
        (await _bed.DescribeAsync("patched"))!.CapacityProviders.Should().BeEquivalentTo("FARGATE");

        // logging DEFAULT is what ECS assumes without any configuration: nothing to send.
        (await PatchAsync(new JsonObject
        {
            ["configuration"] = new JsonObject { ["executeCommandConfiguration"] = new JsonObject { ["logging"] = "DEFAULT" } },
        })).Should().BeEmpty();
        (await PatchAsync(new JsonObject
        {
            ["configuration"] = new JsonObject { ["executeCommandConfiguration"] = new JsonObject { ["logging"] = "NONE" } },
        })).Should().BeEquivalentTo(new Dictionary<string, int> { ["UpdateCluster"] = 1 });
        (await _bed.DescribeAsync("patched"))!.Configuration!.ExecuteCommandConfiguration!.Logging.Should().Be("NONE");
    }
}
