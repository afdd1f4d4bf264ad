namespace Operator.Tests.LocalMode;

/// <summary>
/// Local mode's lifecycle as a user meets it, with the real kubectl and aws CLIs: a second local mode writing the same
/// kubeconfig refuses to start in one line and leaves the first one's kubeconfig as it was; with --state-dir, a
/// restart (SIGTERM, then the same command) comes back on the same ports with the same kubeconfig, the same objects
/// (Ready again) and the same ECS cluster with its service, and creates nothing twice; without it, a restart starts
/// empty, as the banner says.
/// Each test runs its own local modes on its own kubeconfig (and state directory), so the tests run at once; after a
/// restart, the reads that check what came back run at once too.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class LocalModeLifecycleTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private DirectoryInfo _home = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        if (!OnPath("kubectl") || !OnPath("aws"))
        {
            Assert.Fail("kubectl and the aws CLI are needed (the machine image provides both)");
        }
        _home = Directory.CreateTempSubdirectory("local-lifecycle-");
    }

    [OneTimeTearDown]
    public void TearDown() => _home.Delete(recursive: true);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));

    [Test]
    public async Task A_second_local_mode_on_the_same_kubeconfig_refuses_to_start_and_leaves_the_first_alone()
    {
        var kubeconfig = Path.Combine(_home.FullName, "second.kubeconfig");
        await using var first = await LocalModeProcess.StartAsync(_home.FullName, "--kubeconfig-out", kubeconfig);
        first.Process.HasExited.Should().BeFalse(first.Log);
        var written = await File.ReadAllTextAsync(kubeconfig);
        File.Exists(kubeconfig + ".lock").Should().BeTrue();

        await using var second = await LocalModeProcess.StartAsync(_home.FullName, "--kubeconfig-out", kubeconfig, "--provisioning-seconds", "0");
        second.Process.HasExited.Should().BeTrue("a second local mode on the same kubeconfig must not run");
        second.Process.ExitCode.Should().Be(1);
        second.Log.Trim().Should().Be($"error: another local mode is already running with {kubeconfig} (it holds {kubeconfig}.lock): "
            + "use that one, stop it with Ctrl-C in its terminal, or start this one with --kubeconfig-out OTHER-FILE");
        (await File.ReadAllTextAsync(kubeconfig)).Should().Be(written, "the running local mode's kubeconfig is untouched");
        (await Run($"kubectl --kubeconfig {kubeconfig} get namespace development -o name", [])).Should().Be("namespace/development");

        await first.StopAsync();
        first.Log.Should().Contain("infra-operator local mode stopped.");
        File.Exists(kubeconfig + ".lock").Should().BeFalse("the lock goes when local mode stops");
    }

    [Test]
    public async Task With_a_state_dir_a_restart_keeps_objects_ECS_clusters_ports_and_kubeconfig()
    {
        var kubeconfig = Path.Combine(_home.FullName, "state.kubeconfig");
        var state = Path.Combine(_home.FullName, "state");
        string[] flags = ["--kubeconfig-out", kubeconfig, "--state-dir", state, "--provisioning-seconds", "0"];
        var k = $"kubectl --kubeconfig {kubeconfig}";

        string api, aws, metrics, config;
        Dictionary<string, string> env;
        await using (var first = await LocalModeProcess.StartAsync(_home.FullName, flags))
        {
            first.Process.HasExited.Should().BeFalse(first.Log);
            first.BannerLine("state:").Should().Be($"state:                   kept in {state} (new): objects, ECS clusters and ports survive a restart");
            (api, aws, metrics) = (first.BannerLine("Kubernetes API emulator:"), first.BannerLine("ECS + STS emulator:"), first.BannerLine("metrics and probes:"));
            env = first.AwsEnvironment;
            env.Keys.Should().BeEquivalentTo(["AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"],
                "the export line sends only ECS and STS to the emulator");
            await Run($"{k} apply -f manifests/samples/awsprovider-irsa.yaml -f manifests/samples/ecscluster-fargate.yaml", env);
            await Run($"{k} wait --for=condition=Ready ecscluster/fargate-cluster --timeout=120s", env);
            await Run("aws ecs create-service --cluster my-fargate-cluster --service-name web --task-definition web:1 --desired-count 1", env);
            config = await File.ReadAllTextAsync(kubeconfig);
            await first.StopAsync();
            first.Log.Should().Contain("infra-operator local mode stopped.");
        }

        await using var second = await LocalModeProcess.StartAsync(_home.FullName, flags);
        second.Process.HasExited.Should().BeFalse(second.Log);
        second.BannerLine("state:").Should().Be($"state:                   kept in {state} (restored): objects, ECS clusters and ports survive a restart");
        second.BannerLine("Kubernetes API emulator:").Should().Be(api);
        second.BannerLine("ECS + STS emulator:").Should().Be(aws);
        second.BannerLine("metrics and probes:").Should().Be(metrics);
        second.AwsEnvironment.Should().BeEquivalentTo(env, "the export line printed before the restart still works");
        (await File.ReadAllTextAsync(kubeconfig)).Should().Be(config);

        (await Run($"{k} wait --for=condition=Ready ecscluster/fargate-cluster --timeout=120s", env)).Should().Contain("condition met");
        var (account, clusters, services) = (
            Run($"{k} get awsprovider production-aws -o jsonpath={{.status.accountID}}", env),
            Run("aws ecs list-clusters --query 'clusterArns' --output text", env),
            Run("aws ecs describe-services --cluster my-fargate-cluster --services web --query 'services[0].[status,runningCount]' --output text", env));
        (await account).Should().Be("123456789012");
        (await clusters).Should().Be("arn:aws:ecs:us-east-1:123456789012:cluster/my-fargate-cluster");
        (await services).Should().Be("ACTIVE\t1");
        // Read once the restarted operator has taken its start-up decision on the restored cluster.
        await Eventually.UntilAsync(() => second.Log.Contains("Initial sync: 1 ECSClusters checked in bulk", StringComparison.Ordinal),
            "the restarted operator's initial check of the restored cluster", TimeSpan.FromMinutes(2));
        var created = await Run($"{k} get events --field-selector involvedObject.name=fargate-cluster,reason=Created -o name", env);
        created.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle("the restored cluster is not created again");
        await second.StopAsync();
    }

    [Test]
    public async Task Without_a_state_dir_a_restart_starts_empty_as_the_banner_says()
    {
        var kubeconfig = Path.Combine(_home.FullName, "memory.kubeconfig");
        await using (var first = await LocalModeProcess.StartAsync(_home.FullName, "--kubeconfig-out", kubeconfig))
        {
            first.BannerLine("state:").Should().Be("state:                   in memory only: a restart starts empty, on new ports (keep it with --state-dir DIR)");
            await Run($"kubectl --kubeconfig {kubeconfig} apply -f manifests/samples/awsprovider-irsa.yaml", []);
            await first.StopAsync();
        }
        await using var second = await LocalModeProcess.StartAsync(_home.FullName, "--kubeconfig-out", kubeconfig);
        (await Run($"kubectl --kubeconfig {kubeconfig} get awsprovider -A -o name", [])).Should().BeEmpty();
        await second.StopAsync();
    }

    private async Task<string> Run(string command, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["HOME"] = _home.FullName;
        foreach (var variable in new[] { "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_STS" })
        {
            info.Environment.Remove(variable);
        }
        AwsCli.Configure(info.Environment);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(cts.Token);
        process.ExitCode.Should().Be(0, $"`{command}` failed: {await stdout}{await stderr}");
        return (await stdout).Trim();
    }
}
