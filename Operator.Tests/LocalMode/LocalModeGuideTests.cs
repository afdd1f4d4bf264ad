using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Operator.Testing;
using Operator.Tests.Support;

namespace Operator.Tests.LocalMode;

/// <summary>
/// Local mode run as a process (the built Operator.Local.dll, as `dotnet run --project Operator.Local` runs it, with flags that
/// must win over its defaults) and driven with the real kubectl and aws CLIs from the repository root: the README's
/// "Try the troubleshooting guide locally" block verbatim (services, tasks and a container instance block the deletion,
/// the describe calls answer, the guide's commands clear them, the deletion completes), and `kubectl apply -f manifests/samples/` (every guide example
/// Ready except hybrid, no Warning Event on anything that went Ready, the printer columns, explain, strict field validation, text logs naming the object).
/// </summary>
[TestFixture]
public sealed partial class LocalModeGuideTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private readonly StringBuilder _log = new();
    private Process _process = null!;
    private DirectoryInfo _home = null!;
    private string _kubeconfig = null!;
    private Dictionary<string, string> _awsEnvironment = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!OnPath("kubectl") || !OnPath("aws"))
        {
            Assert.Ignore("kubectl and the aws CLI are needed");
        }

        _home = Directory.CreateTempSubdirectory("local-guide-");
        _kubeconfig = Path.Combine(_home.FullName, "kubeconfig");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Operator.Local.dll"),
            "--kubeconfig-out", _kubeconfig, "--provisioning-seconds", "1", "--resync-period", "00:07:00"])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["HOME"] = _home.FullName;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.UntilAsync(() => Log.Contains("Press Ctrl-C to stop.", StringComparison.Ordinal) || _process.HasExited,
            "local mode's banner", TimeSpan.FromMinutes(2));
        _process.HasExited.Should().BeFalse(Log);
        _awsEnvironment = AwsExportLine().Match(Log).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        _awsEnvironment.Should().ContainKey("AWS_ENDPOINT_URL_ECS").WhoseValue.Should().StartWith("http://127.0.0.1:", "the banner prints the aws CLI's endpoint");
        _awsEnvironment["AWS_ENDPOINT_URL_STS"].Should().Be(_awsEnvironment["AWS_ENDPOINT_URL_ECS"]);
        _awsEnvironment.Should().NotContainKey("AWS_ENDPOINT_URL", "only ECS and STS go to the emulator");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        _home?.Delete(recursive: true);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));

    private string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    [Test]
    public void Flags_given_to_local_mode_win_over_its_defaults()
    {
        Log.Should().Contain("resync every 00:07:00").And.Contain("text logs");
        Log.Should().Contain("export AWS_ENDPOINT_URL_ECS=").And.Contain("AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test");
    }

    [Test]
    public async Task The_readme_troubleshooting_walk_unblocks_a_deletion_with_the_guides_commands()
    {
        var commands = ReadmeBlock(TroubleshootingBlock());
        commands[0].Should().StartWith("export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:PORT AWS_ENDPOINT_URL_STS=http://127.0.0.1:PORT ");
        commands[0].Split(' ').Skip(1).Select(p => p.Split('=')[0]).Should().BeEquivalentTo(_awsEnvironment.Keys, "the README's export line is the banner's");
        var outputs = new Dictionary<string, string>();
        foreach (var command in commands.Skip(1))
        {
            var (code, output) = await Bash(command);
            code.Should().Be(0, $"`{command}` failed:\n{output}\nlocal mode log:\n{Tail()}");
            outputs[command] = output;
        }

        string Output(string marker) => outputs.Single(o => o.Key.Contains(marker, StringComparison.Ordinal)).Value;
        Output("describe-clusters").Should().MatchRegex(@"\[\s*1,\s*3,\s*1\s*\]", "one service with two tasks, one standalone task, one instance");
        Output("describe-services").Should().MatchRegex(@"\[\s*""ACTIVE"",\s*2,\s*2\s*\]");
        Output("describe-tasks").Should().Contain("\"name\": \"subnetId\"").And.Contain("\"name\": \"privateIPv4Address\"");
        Output("describe-container-instances").Should().MatchRegex(@"\[\s*""i-0123456789abcdef0"",\s*""ACTIVE""\s*\]");
        Output("-o wide").Should().MatchRegex(@"fargate-cluster +my-fargate-cluster +DELETION_BLOCKED +False +False .*ClusterContainsServices +ECS refuses to delete cluster my-fargate-cluster while it has 1 active service");
        Output("jsonpath='{.status}'").Should().Contain("\"type\":\"DeletionBlocked\"").And.Contain("ClusterContainsServices");
        Output("stop-task").Should().Contain("\"lastStatus\": \"STOPPED\"");
        Output("delete-service").Should().Contain("\"status\": \"DRAINING\"");
        Output("deregister-container-instance").Should().Contain("\"status\": \"INACTIVE\"");
        Output("list-clusters").Should().NotContain("cluster/my-fargate-cluster\"");
    }

    [Test]
    public async Task The_samples_directory_makes_every_guide_example_Ready_except_hybrid()
    {
        (await Kubectl("apply", "-f", "manifests/samples/")).Should().Contain("ecscluster.aws-infra-operator.runner.codes/dev-cluster created");
        string[] ready = ["default/fargate-cluster", "development/debug-cluster", "production/serverless-cluster", "development/dev-cluster",
            "default/service-mesh-cluster", "default/audit-cluster"];
        foreach (var key in ready)
        {
            var (ns, name) = (key.Split('/')[0], key.Split('/')[1]);
            var wait = await Kubectl("wait", "-n", ns, "--for=condition=Ready", $"ecscluster/{name}", "--timeout=180s");
            wait.Should().Contain("condition met", key);
        }

        var hybridReason = "";
        await Eventually.UntilAsync(async () =>
        {
            hybridReason = await Kubectl("get", "ecscluster", "hybrid-cluster", "-o", "jsonpath={.status.conditions[?(@.type==\"Synced\")].reason}");
            return hybridReason.Trim() == "InvalidParameter";
        }, "hybrid-cluster's Synced=False InvalidParameter (its capacity provider does not exist)", TimeSpan.FromMinutes(2));
        (await Kubectl("get", "ecscluster", "hybrid-cluster", "-o", "jsonpath={.status.conditions[?(@.type==\"Synced\")].message}"))
            .Should().Contain("my-ec2-capacity-provider");

        // No Warning Event on anything that went Ready (hybrid's InvalidParameter is the guide's expected failure). Events
        // of objects an earlier test deleted under the same names are told apart by UID. Events are sent in order per
        // object, so once each object's success event is listed, any Warning before it is too.
        string[] providerKeys = ["default/localstack", "default/production-aws", "development/dev-aws", "production/production-aws"];
        var uids = (await Kubectl("get", "ecscluster,awsprovider", "-A", "-o", "jsonpath={range .items[*]}{.metadata.uid}{\"\\n\"}{end}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        List<string> current = [];
        await Eventually.UntilAsync(async () =>
        {
            current = [.. (await Kubectl("get", "events", "-A", "-o",
                    "jsonpath={range .items[*]}{.involvedObject.uid} {.type} {.involvedObject.namespace}/{.involvedObject.name} {.reason}: {.message}{\"\\n\"}{end}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => uids.Contains(l.Split(' ')[0]))
                .Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])];
            return ready.All(k => current.Any(l => l.StartsWith($"Normal {k} Created:", StringComparison.Ordinal)))
                && providerKeys.All(k => current.Any(l => l.StartsWith($"Normal {k} Authenticated:", StringComparison.Ordinal)));
        }, "a Created event for every Ready cluster and an Authenticated event for every provider", TimeSpan.FromMinutes(1));
        current.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && !l.Contains("/hybrid-cluster ", StringComparison.Ordinal))
            .Should().BeEmpty("nothing that goes Ready starts with a Warning");

        var table = (await Kubectl("get", "ecscluster", "-A")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        table[0].Should().MatchRegex("^NAMESPACE +NAME +CLUSTER NAME +STATUS +READY +SYNCED +RUNNING TASKS +ACTIVE SERVICES +AGE$");
        table.Should().Contain(l => Regex.IsMatch(l, @"^development +dev-cluster +development +ACTIVE +True +True +0 +0 "));
        table.Should().Contain(l => Regex.IsMatch(l, @"^default +hybrid-cluster +hybrid-cluster +.*False +False "));
        (await Kubectl("get", "ecscluster", "hybrid-cluster", "-o", "wide")).Should().Contain("InvalidParameter");
        var providers = (await Kubectl("get", "awsprovider", "-A")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        providers[0].Should().MatchRegex("^NAMESPACE +NAME +REGION +READY +ACCOUNT +REASON +STATUS +AGE$");
        providers.Skip(1).Should().HaveCount(4).And.OnlyContain(l => Regex.IsMatch(l, @" True +123456789012 +Authenticated +ACTIVE "));

        (await Kubectl("explain", "ecscluster.spec.clusterName")).Should().Contain("ECS cluster name");
        var (code, typo) = await Bash("""
            printf 'apiVersion: aws-infra-operator.runner.codes/v1alpha1\nkind: ECSCluster\nmetadata:\n  name: typo\nspec:\n  providerRef:\n    name: production-aws\n  clusterName: typo\n  deletionpolicy: Retain\n' | kubectl --kubeconfig infra-operator-local.kubeconfig apply -f -
            """);
        code.Should().NotBe(0);
        typo.Should().Contain("strict decoding error: unknown field \"spec.deletionpolicy\"");

        // Text logs name the object of a failing reconcile on the line itself.
        await Eventually.UntilAsync(() => Log.Split('\n').Any(l => l.Contains("Reconcile failed", StringComparison.Ordinal) && l.Contains("object=default/hybrid-cluster", StringComparison.Ordinal)),
            "a text log line of hybrid-cluster's failing reconcile that names it", TimeSpan.FromMinutes(1));
        Log.Should().NotContain("System.Collections.Generic.Dictionary");
        Log.Should().NotContain("SpanId=").And.NotContain("TraceId=").And.NotContain("trace_id=", "no ids in log lines while no span is exported");

        // Deleting the directory as a user does (kubectl deletes in file order: providers and their Secrets before the
        // clusters that use them, then waits) completes by itself and leaves nothing, in Kubernetes or in ECS.
        await Kubectl("delete", "-f", "manifests/samples/", "--timeout=300s");
        (await Kubectl("get", "ecscluster,awsprovider", "-A", "-o", "name")).Trim().Should().BeEmpty();
        var (listed, active) = await Bash("""
            arns=$(aws ecs list-clusters --query clusterArns --output text) || exit 1
            if [ -n "$arns" ] && [ "$arns" != "None" ]; then
              aws ecs describe-clusters --clusters $arns --query 'clusters[?status==`ACTIVE`].clusterName' --output text
            fi
            """);
        listed.Should().Be(0, active);
        active.Trim().Should().BeEmpty("every sample cluster has deletionPolicy Delete");
    }

    private Task<string> Kubectl(params string[] args) =>
        Bash("kubectl --kubeconfig infra-operator-local.kubeconfig " + string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'")))
            .ContinueWith(t =>
            {
                var (code, output) = t.Result;
                code.Should().Be(0, $"kubectl {string.Join(' ', args)} failed:\n{output}\nlocal mode log:\n{Tail()}");
                return output;
            }, TaskScheduler.Default);

    /// <summary>Runs a README command from the repository root, with the banner's aws settings and this kubeconfig.</summary>
    private async Task<(int Code, string Output)> Bash(string command)
    {
        var info = new ProcessStartInfo("bash", ["-c", command.Replace("infra-operator-local.kubeconfig", _kubeconfig, StringComparison.Ordinal)])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["HOME"] = _home.FullName;
        info.Environment.Remove("AWS_ENDPOINT_URL");
        foreach (var (name, value) in _awsEnvironment)
        {
            info.Environment[name] = value;
        }
        info.Environment["AWS_PAGER"] = "";
        info.Environment.Remove("AWS_PROFILE");
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

    private string Tail() => string.Join('\n', Log.Split('\n').TakeLast(40));

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

    [GeneratedRegex(@"export ((?:AWS_\w+=\S+ ?)+)")]
    private static partial Regex AwsExportLine();
}
