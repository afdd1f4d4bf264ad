namespace Operator.Tests.LocalMode;

/// <summary>
/// Local mode run as a process (<see cref="LocalModeProcess"/>: the built Operator.Local.dll, as `dotnet run --project
/// Operator.Local` runs it, with flags that must win over its defaults) and driven with the real kubectl and aws CLIs
/// from the repository root: the README's "Try the troubleshooting guide locally" block verbatim (services, tasks and a
/// container instance block the deletion, the describe calls answer, the guide's commands clear them, the deletion
/// completes), and `kubectl apply -f manifests/samples/` (every guide example Ready except hybrid, no Warning Event on
/// anything that went Ready, the printer columns, explain, strict field validation, text logs naming the object).
/// Each of the two gets its own local mode (same flags, own kubeconfig and emulators), so they run at once. Local mode
/// retries a cluster in transition or with a blocked deletion every second (its retry flags; the operator's 5 s and
/// 30 s otherwise), so the guide's waits end soon after the state they wait for is reached. Commands that only read (a
/// run of the guide's describe lines, the samples' waits and tables) run at once; every other one alone, in order.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed partial class LocalModeGuideTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private DirectoryInfo _home = null!;
    private Session _walk = null!;
    private Session _samples = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!OnPath("kubectl") || !OnPath("aws"))
        {
            Assert.Ignore("kubectl and the aws CLI are needed");
        }

        _home = Directory.CreateTempSubdirectory("local-guide-");
        var (walk, samples) = (Session.StartAsync(_home.FullName, "walk"), Session.StartAsync(_home.FullName, "samples"));
        try
        {
            await Task.WhenAll(walk, samples);
        }
        finally
        {
            // Whichever started is stopped by the tear-down, even when the other did not.
            _walk = walk.IsCompletedSuccessfully ? walk.Result : null!;
            _samples = samples.IsCompletedSuccessfully ? samples.Result : null!;
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        foreach (var session in new[] { _walk, _samples })
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
        }

        _home?.Delete(recursive: true);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));

    [Test]
    public void Flags_given_to_local_mode_win_over_its_defaults()
    {
        foreach (var log in new[] { _walk.Log, _samples.Log })
        {
            log.Should().Contain("resync every 00:07:00").And.Contain("text logs");
            log.Should().Contain("export AWS_ENDPOINT_URL_ECS=").And.Contain("AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test");
        }
    }

    [Test]
    public async Task The_readme_troubleshooting_walk_unblocks_a_deletion_with_the_guides_commands()
    {
        var local = _walk;
        var commands = ReadmeBlock(TroubleshootingBlock());
        commands[0].Should().StartWith("export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:PORT AWS_ENDPOINT_URL_STS=http://127.0.0.1:PORT ");
        commands[0].Split(' ').Skip(1).Select(p => p.Split('=')[0]).Should().BeEquivalentTo(local.AwsEnvironment.Keys, "the README's export line is the banner's");
        var outputs = new Dictionary<string, string>();
        foreach (var stage in Stages(commands.Skip(1)))
        {
            var results = await Task.WhenAll(stage.Select(local.Bash));
            foreach (var (command, (code, output)) in stage.Zip(results))
            {
                code.Should().Be(0, $"`{command}` failed:\n{output}\nlocal mode log:\n{local.Tail()}");
                outputs[command] = output;
            }
        }

        string Output(string marker) => outputs.Single(o => o.Key.Contains(marker, StringComparison.Ordinal)).Value;
        Output("describe-clusters").Should().MatchRegex(@"\[\s*1,\s*3,\s*1\s*\]", "one service with two tasks, one standalone task, one instance");
        Output("describe-services").Should().MatchRegex(@"\[\s*""ACTIVE"",\s*2,\s*2\s*\]");
        Output("describe-tasks").Should().Contain("\"name\": \"subnetId\"").And.Contain("\"name\": \"privateIPv4Address\"");
        Output("describe-container-instances").Should().MatchRegex(@"\[\s*""i-0123456789abcdef0"",\s*""ACTIVE""\s*\]");
        Output("-o wide").Should().MatchRegex(@"fargate-cluster +my-fargate-cluster +DELETION_BLOCKED +False +False .*ClusterContainsServices +ECS refuses to delete cluster my-fargate-cluster while it has 1 active service");
        Output("jsonpath='{.status}'").Should().Contain("\"type\":\"DeletionBlocked\"").And.Contain("ClusterContainsServices")
            .And.Contain("retrying every 1s", "local mode's retry flag reaches the reconciler");
        Output("stop-task").Should().Contain("\"lastStatus\": \"STOPPED\"");
        Output("delete-service").Should().Contain("\"status\": \"DRAINING\"");
        Output("deregister-container-instance").Should().Contain("\"status\": \"INACTIVE\"");
        Output("list-clusters").Should().NotContain("cluster/my-fargate-cluster\"");
    }

    [Test]
    public async Task The_samples_directory_makes_every_guide_example_Ready_except_hybrid()
    {
        var local = _samples;
        (await local.Kubectl("apply", "-f", "manifests/samples/")).Should().Contain("ecscluster.aws-infra-operator.runner.codes/dev-cluster created");
        string[] ready = ["default/fargate-cluster", "development/debug-cluster", "production/serverless-cluster", "development/dev-cluster",
            "default/service-mesh-cluster", "default/audit-cluster"];
        // The waits only read: all at once, with the wait for hybrid-cluster's Synced=False InvalidParameter (its capacity
        // provider does not exist).
        var waits = Task.WhenAll(ready.Select(key =>
            local.Kubectl("wait", "-n", key.Split('/')[0], "--for=condition=Ready", $"ecscluster/{key.Split('/')[1]}", "--timeout=180s")));
        (await local.Kubectl("wait", "ecscluster/hybrid-cluster", "--for=jsonpath={.status.conditions[?(@.type==\"Synced\")].reason}=InvalidParameter",
            "--timeout=120s")).Should().Contain("condition met");
        var hybridMessage = local.Kubectl("get", "ecscluster", "hybrid-cluster", "-o", "jsonpath={.status.conditions[?(@.type==\"Synced\")].message}");
        foreach (var (key, wait) in ready.Zip(await waits))
        {
            wait.Should().Contain("condition met", key);
        }
        (await hybridMessage).Should().Contain("my-ec2-capacity-provider");

        // No Warning Event on anything that went Ready (hybrid's InvalidParameter is the guide's expected failure). Only the
        // Events of the objects listed now count (told apart by UID). Events are sent in order per object, so once each
        // object's success event is listed, any Warning before it is too.
        string[] providerKeys = ["default/localstack", "default/production-aws", "development/dev-aws", "production/production-aws"];
        // The clusters' tables (every one is where the waits above left it), explain and the refused apply change nothing
        // the Events' wait looks at: started now, checked after it. The providers' table is read once their Events are listed.
        var (tableRead, hybridWide, explain) = (local.Kubectl("get", "ecscluster", "-A"), local.Kubectl("get", "ecscluster", "hybrid-cluster", "-o", "wide"),
            local.Kubectl("explain", "ecscluster.spec.clusterName"));
        var typoApply = local.Bash("""
            printf 'apiVersion: aws-infra-operator.runner.codes/v1alpha1\nkind: ECSCluster\nmetadata:\n  name: typo\nspec:\n  providerRef:\n    name: production-aws\n  clusterName: typo\n  deletionpolicy: Retain\n' | kubectl --kubeconfig infra-operator-local.kubeconfig apply -f -
            """);
        var uids = (await local.Kubectl("get", "ecscluster,awsprovider", "-A", "-o", "jsonpath={range .items[*]}{.metadata.uid}{\"\\n\"}{end}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        List<string> current = [];
        // Each read starts a kubectl: a poll every quarter second leaves the CPU to the operator it waits for.
        await Eventually.UntilAsync(async () =>
        {
            current = [.. (await local.Kubectl("get", "events", "-A", "-o",
                    "jsonpath={range .items[*]}{.involvedObject.uid} {.type} {.involvedObject.namespace}/{.involvedObject.name} {.reason}: {.message}{\"\\n\"}{end}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => uids.Contains(l.Split(' ')[0]))
                .Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])];
            return ready.All(k => current.Any(l => l.StartsWith($"Normal {k} Created:", StringComparison.Ordinal)))
                && providerKeys.All(k => current.Any(l => l.StartsWith($"Normal {k} Authenticated:", StringComparison.Ordinal)));
        }, "a Created event for every Ready cluster and an Authenticated event for every provider", TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(250));
        current.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && !l.Contains("/hybrid-cluster ", StringComparison.Ordinal))
            .Should().BeEmpty("nothing that goes Ready starts with a Warning");

        var table = (await tableRead).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        table[0].Should().MatchRegex("^NAMESPACE +NAME +CLUSTER NAME +STATUS +READY +SYNCED +RUNNING TASKS +ACTIVE SERVICES +AGE$");
        table.Should().Contain(l => Regex.IsMatch(l, @"^development +dev-cluster +development +ACTIVE +True +True +0 +0 "));
        table.Should().Contain(l => Regex.IsMatch(l, @"^default +hybrid-cluster +hybrid-cluster +.*False +False "));
        (await hybridWide).Should().Contain("InvalidParameter");
        var providers = (await local.Kubectl("get", "awsprovider", "-A")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        providers[0].Should().MatchRegex("^NAMESPACE +NAME +REGION +READY +ACCOUNT +REASON +STATUS +AGE$");
        providers.Skip(1).Should().HaveCount(4).And.OnlyContain(l => Regex.IsMatch(l, @" True +123456789012 +Authenticated +ACTIVE "));

        (await explain).Should().Contain("ECS cluster name");
        var (code, typo) = await typoApply;
        code.Should().NotBe(0);
        typo.Should().Contain("strict decoding error: unknown field \"spec.deletionpolicy\"");

        // Text logs name the object of a failing reconcile on the line itself.
        await Eventually.UntilAsync(() => local.Log.Split('\n').Any(l => l.Contains("Reconcile failed", StringComparison.Ordinal) && l.Contains("object=default/hybrid-cluster", StringComparison.Ordinal)),
            "a text log line of hybrid-cluster's failing reconcile that names it", TimeSpan.FromMinutes(1));
        local.Log.Should().NotContain("System.Collections.Generic.Dictionary");
        local.Log.Should().NotContain("SpanId=").And.NotContain("TraceId=").And.NotContain("trace_id=", "no ids in log lines while no span is exported");

        // Deleting the directory as a user does (kubectl deletes in file order: providers and their Secrets before the
        // clusters that use them, then waits) completes by itself and leaves nothing, in Kubernetes or in ECS.
        await local.Kubectl("delete", "-f", "manifests/samples/", "--timeout=300s");
        var left = local.Kubectl("get", "ecscluster,awsprovider", "-A", "-o", "name");
        var (listed, active) = await local.Bash("""
            arns=$(aws ecs list-clusters --query clusterArns --output text) || exit 1
            if [ -n "$arns" ] && [ "$arns" != "None" ]; then
              aws ecs describe-clusters --clusters $arns --query 'clusters[?status==`ACTIVE`].clusterName' --output text
            fi
            """);
        (await left).Trim().Should().BeEmpty();
        listed.Should().Be(0, active);
        active.Trim().Should().BeEmpty("every sample cluster has deletionPolicy Delete");
    }

    /// <summary>
    /// The walk's commands in the guide's order, in stages: a run of the guide's describe lines (they only read, and
    /// read what the lines before them made) is one stage, run at once; every other line is a stage of its own.
    /// </summary>
    private static List<List<string>> Stages(IEnumerable<string> commands)
    {
        static bool ReadOnly(string command) => command.StartsWith("aws ecs describe-", StringComparison.Ordinal);
        List<List<string>> stages = [];
        foreach (var command in commands)
        {
            if (ReadOnly(command) && stages.Count > 0 && ReadOnly(stages[^1][0]))
            {
                stages[^1].Add(command);
            }
            else
            {
                stages.Add([command]);
            }
        }
        return stages;
    }

    private static List<string> ReadmeBlock(Regex marker)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var block = marker.Match(readme);
        block.Success.Should().BeTrue("README.md must keep its block markers");
        return [.. block.Groups[1].Value.Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("```", StringComparison.Ordinal))];
    }

    [GeneratedRegex(@"<!-- troubleshooting:begin -->(.*?)<!-- troubleshooting:end -->", RegexOptions.Singleline)]
    private static partial Regex TroubleshootingBlock();

    /// <summary>One local mode with the fixture's flags, its kubeconfig, and the commands run against it.</summary>
    private sealed class Session(LocalModeProcess local, string home, string kubeconfig) : IAsyncDisposable
    {
        public string Log => local.Log;

        public Dictionary<string, string> AwsEnvironment { get; } = local.AwsEnvironment;

        public static async Task<Session> StartAsync(string home, string name)
        {
            var kubeconfig = Path.Combine(home, name + ".kubeconfig");
            var local = await LocalModeProcess.StartAsync(home, "--kubeconfig-out", kubeconfig, "--provisioning-seconds", "1",
                "--resync-period", "00:07:00", "--transition-retry-seconds", "1", "--blocked-retry-seconds", "1");
            try
            {
                local.Process.HasExited.Should().BeFalse(local.Log);
                var session = new Session(local, home, kubeconfig);
                session.AwsEnvironment.Should().ContainKey("AWS_ENDPOINT_URL_ECS").WhoseValue.Should().StartWith("http://127.0.0.1:", "the banner prints the aws CLI's endpoint");
                session.AwsEnvironment["AWS_ENDPOINT_URL_STS"].Should().Be(session.AwsEnvironment["AWS_ENDPOINT_URL_ECS"]);
                session.AwsEnvironment.Should().NotContainKey("AWS_ENDPOINT_URL", "only ECS and STS go to the emulator");
                return session;
            }
            catch
            {
                await local.DisposeAsync();
                throw;
            }
        }

        public Task<string> Kubectl(params string[] args) =>
            Bash("kubectl --kubeconfig infra-operator-local.kubeconfig " + string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'")))
                .ContinueWith(t =>
                {
                    var (code, output) = t.Result;
                    code.Should().Be(0, $"kubectl {string.Join(' ', args)} failed:\n{output}\nlocal mode log:\n{Tail()}");
                    return output;
                }, TaskScheduler.Default);

        /// <summary>Runs a README command from the repository root, with the banner's aws settings and this kubeconfig.</summary>
        public async Task<(int Code, string Output)> Bash(string command)
        {
            var info = new ProcessStartInfo("bash", ["-c", command.Replace("infra-operator-local.kubeconfig", kubeconfig, StringComparison.Ordinal)])
            {
                WorkingDirectory = RepositoryLayout.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["HOME"] = home;
            info.Environment.Remove("AWS_ENDPOINT_URL");
            foreach (var (name, value) in AwsEnvironment)
            {
                info.Environment[name] = value;
            }
            info.Environment.Remove("AWS_PROFILE");
            AwsCli.Configure(info.Environment);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(CommandTimeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"`{command}` did not finish within {CommandTimeout}");
            }

            return (process.ExitCode, await stdout + await stderr);
        }

        public string Tail() => string.Join('\n', Log.Split('\n').TakeLast(40));

        public ValueTask DisposeAsync() => local.DisposeAsync();
    }
}
