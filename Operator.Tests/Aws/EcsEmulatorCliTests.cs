namespace Operator.Tests.Aws;

/// <summary>
/// The emulator's workload and capacity-provider calls, driven with the real aws CLI as the user guide's
/// troubleshooting drives ECS (moto models none of these the way ECS refuses DeleteCluster, so emulator only):
/// container instances block DeleteCluster until the guide's deregister command, a service scaled above 0 is only
/// deleted with --force, a stopped task of a live service is replaced, counts follow the workload, and a capacity
/// provider created with any Auto Scaling group ARN is described and usable.
/// Each call's time is the CLI's own start-up (<see cref="AwsCli"/> keeps it to that), so the tests, each with its own
/// emulator and HOME, run at once, and within a test the calls that neither depends on the other's effect (reads, and
/// calls the emulator refuses without changing anything) run at once; every call that changes state runs in order.
/// </summary>
[TestFixture]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
[Parallelizable(ParallelScope.All)]
public sealed class EcsEmulatorCliTests
{
    private AwsEmulator _emulator = null!;
    private DirectoryInfo _home = null!;

    [SetUp]
    public async Task StartAsync()
    {
        if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "aws"))))
        {
            Assert.Ignore("the aws CLI is not installed");
        }

        _emulator = await AwsEmulator.StartAsync(new AwsEmulatorOptions { ProvisioningDuration = TimeSpan.Zero });
        _emulator.Credentials.Add("test", "test", AwsCredentialStore.DefaultAccountId, "cli-user");
        _home = Directory.CreateTempSubdirectory("aws-cli-");
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        _home?.Delete(recursive: true);
    }

    private async Task<(int Code, string Stdout, string Stderr)> Sh(string command)
    {
        var info = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["HOME"] = _home.FullName;
        info.Environment["AWS_ENDPOINT_URL"] = _emulator.Endpoint.ToString().TrimEnd('/');
        info.Environment["AWS_ACCESS_KEY_ID"] = "test";
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        info.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        info.Environment.Remove("AWS_PROFILE");
        AwsCli.Configure(info.Environment);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private async Task<JsonNode> Aws(string args)
    {
        var (code, stdout, stderr) = await Sh("aws " + args);
        code.Should().Be(0, $"aws {args}: {stderr}");
        return JsonNode.Parse(stdout.Length == 0 ? "{}" : stdout)!;
    }

    private async Task<JsonNode> Cluster(string name) =>
        (await Aws($"ecs describe-clusters --clusters {name}"))["clusters"]![0]!;

    [Test]
    public async Task Container_instances_block_deletion_until_the_guides_deregister_command()
    {
        await Aws("ecs create-cluster --cluster-name ec2");
        await Task.WhenAll(
            Aws("ecs register-container-instance --cluster ec2 --instance-identity-document '{\"instanceId\":\"i-0123456789abcdef0\"}'"),
            Aws("ecs register-container-instance --cluster ec2"));
        var (described, listed, deleted) = (Cluster("ec2"), Aws("ecs list-clusters"), Sh("aws ecs delete-cluster --cluster ec2"));
        (await described)["registeredContainerInstancesCount"]!.GetValue<int>().Should().Be(2);
        (await listed)["clusterArns"]!.AsArray().Select(a => a!.GetValue<string>())
            .Should().Equal("arn:aws:ecs:us-east-1:123456789012:cluster/ec2");

        var (code, _, refused) = await deleted;
        code.Should().NotBe(0);
        refused.Should().Contain("ClusterContainsContainerInstancesException");

        var (fixCode, _, fixErr) = await Sh("aws ecs list-container-instances --cluster ec2 --query 'containerInstanceArns[]' --output text | tr '\\t' '\\n' | " +
            "xargs -I {} aws ecs deregister-container-instance --cluster ec2 --container-instance {} --force");
        fixCode.Should().Be(0, fixErr);
        (await Cluster("ec2"))["registeredContainerInstancesCount"]!.GetValue<int>().Should().Be(0);
        (await Aws("ecs delete-cluster --cluster ec2"))["cluster"]!["status"]!.GetValue<string>().Should().Be("INACTIVE");
        (await Aws("ecs list-clusters"))["clusterArns"]!.AsArray().Should().BeEmpty();
    }

    [Test]
    public async Task A_service_keeps_its_tasks_until_it_is_deleted_with_force()
    {
        await Aws("ecs create-cluster --cluster-name apps");
        var service = (await Aws("ecs create-service --cluster apps --service-name web --task-definition web:3 --desired-count 2"))["service"]!;
        service["status"]!.GetValue<string>().Should().Be("ACTIVE");
        service["runningCount"]!.GetValue<int>().Should().Be(2);
        await Aws("ecs run-task --cluster apps --task-definition batch");
        var (described, listed) = (Cluster("apps"), Aws("ecs list-tasks --cluster apps --service-name web"));
        var cluster = await described;
        cluster["activeServicesCount"]!.GetValue<int>().Should().Be(1);
        cluster["runningTasksCount"]!.GetValue<int>().Should().Be(3);

        var serviceTasks = (await listed)["taskArns"]!.AsArray();
        serviceTasks.Should().HaveCount(2);
        var stopped = (await Aws($"ecs stop-task --cluster apps --task {serviceTasks[0]!.GetValue<string>()}"))["task"]!;
        stopped["lastStatus"]!.GetValue<string>().Should().Be("STOPPED");
        // Two reads and two refusals: none changes what the others see.
        var (relisted, redescribed) = (Aws("ecs list-tasks --cluster apps --service-name web"), Cluster("apps"));
        var (serviceRefused, clusterRefused) = (Sh("aws ecs delete-service --cluster apps --service web"), Sh("aws ecs delete-cluster --cluster apps"));
        (await relisted)["taskArns"]!.AsArray().Should().HaveCount(2, "the scheduler replaces it");
        (await redescribed)["runningTasksCount"]!.GetValue<int>().Should().Be(3);

        var (code, _, refused) = await serviceRefused;
        code.Should().NotBe(0);
        refused.Should().Contain("InvalidParameterException").And.Contain("scaled above 0");
        (await clusterRefused).Stderr.Should().Contain("ClusterContainsServicesException");

        (await Aws("ecs delete-service --cluster apps --service web --force"))["service"]!["status"]!.GetValue<string>().Should().Be("DRAINING");
        var (services, afterDelete, tasksRefused) = (Aws("ecs list-services --cluster apps"), Cluster("apps"), Sh("aws ecs delete-cluster --cluster apps"));
        (await services)["serviceArns"]!.AsArray().Should().BeEmpty();
        cluster = await afterDelete;
        cluster["activeServicesCount"]!.GetValue<int>().Should().Be(0);
        cluster["runningTasksCount"]!.GetValue<int>().Should().Be(1);
        (await tasksRefused).Stderr.Should().Contain("ClusterContainsTasksException");

        var batch = (await Aws("ecs list-tasks --cluster apps"))["taskArns"]!.AsArray().Should().ContainSingle().Which!.GetValue<string>();
        await Aws($"ecs stop-task --cluster apps --task {batch}");
        (await Aws("ecs list-tasks --cluster apps --desired-status STOPPED"))["taskArns"]!.AsArray().Should().HaveCount(4);
        (await Aws("ecs delete-cluster --cluster apps"))["cluster"]!["status"]!.GetValue<string>().Should().Be("INACTIVE");
    }

    [Test]
    public async Task A_capacity_provider_takes_any_Auto_Scaling_group_ARN_and_can_be_associated()
    {
        const string asg = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1a2b3c4d-0000-1111-2222-333344445555:autoScalingGroupName/my-asg";
        var created = (await Aws($"ecs create-capacity-provider --name my-ec2-capacity-provider --auto-scaling-group-provider autoScalingGroupArn={asg}"))["capacityProvider"]!;
        created["status"]!.GetValue<string>().Should().Be("ACTIVE");

        // A read, two refused creates and a cluster that uses the provider: none changes what the others see.
        var (describing, duplicate, reserved, creating) = (
            Aws("ecs describe-capacity-providers --capacity-providers my-ec2-capacity-provider"),
            Sh($"aws ecs create-capacity-provider --name my-ec2-capacity-provider --auto-scaling-group-provider autoScalingGroupArn={asg}"),
            Sh($"aws ecs create-capacity-provider --name fargate-mine --auto-scaling-group-provider autoScalingGroupArn={asg}"),
            Aws("ecs create-cluster --cluster-name hybrid --capacity-providers FARGATE my-ec2-capacity-provider"));
        var described = (await describing)["capacityProviders"]!.AsArray().Should().ContainSingle().Which!;
        described["capacityProviderArn"]!.GetValue<string>().Should().Be("arn:aws:ecs:us-east-1:123456789012:capacity-provider/my-ec2-capacity-provider");
        described["type"]!.GetValue<string>().Should().Be("EC2_AUTOSCALING");
        described["autoScalingGroupProvider"]!["autoScalingGroupArn"]!.GetValue<string>().Should().Be(asg);
        (await duplicate).Stderr.Should().Contain("ClientException");
        (await reserved).Stderr.Should().Contain("InvalidParameterException");

        var cluster = (await creating)["cluster"]!;
        cluster["capacityProviders"]!.AsArray().Select(p => p!.GetValue<string>()).Should().Equal("FARGATE", "my-ec2-capacity-provider");
    }
}
