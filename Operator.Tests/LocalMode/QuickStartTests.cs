using System.Xml.Linq;

namespace Operator.Tests.LocalMode;

/// <summary>
/// The README's quick start: local mode starts in its own process group, then each kubectl line of the quick-start
/// block runs verbatim from the repository root against it (the guide's Fargate example: apply, wait for Ready, read
/// the ARN with jsonpath, describe, delete), then Ctrl-C (SIGINT to the group, as a terminal sends it) must stop
/// everything cleanly. The block's first line, `dotnet run --project Operator.Local`, is stood in for by its built
/// output: this build's Operator.Local.dll, run with no arguments from the repository root, which is what that command
/// runs once it has built the project; running the line itself would build the project and its dependencies again,
/// in Debug, before anything of the quick start happens (that build was most of this test's time). A cheap check ties
/// the two: the line is exactly that command, and that project is an executable whose assembly is Operator.Local, run
/// from the directory `dotnet run` was started in, with no launch profile that would add arguments or environment.
/// </summary>
[TestFixture]
public sealed partial class QuickStartTests
{
    [Test]
    public async Task The_readme_quick_start_works_verbatim()
    {
        var commands = QuickStartCommands();
        commands[0].Should().Be("dotnet run --project Operator.Local");
        var root = RepositoryLayout.Root;
        var project = XDocument.Load(Path.Combine(root, "Operator.Local", "Operator.Local.csproj")).Root!;
        string? Property(string name) => project.Elements("PropertyGroup").Elements(name).Select(e => e.Value.Trim()).LastOrDefault();
        Property("OutputType").Should().Be("Exe");
        Property("AssemblyName").Should().Be("Operator.Local");
        Property("RunWorkingDirectory").Should().Be("$(MSBuildStartupDirectory)", "`dotnet run` from the repository root runs it there");
        File.Exists(Path.Combine(root, "Operator.Local", "Properties", "launchSettings.json")).Should().BeFalse("`dotnet run` would apply its profile");
        var executable = Path.Combine(AppContext.BaseDirectory, "Operator.Local.dll");
        File.Exists(executable).Should().BeTrue("the tests reference Operator.Local, so its build lands beside them");

        var home = Directory.CreateTempSubdirectory("quickstart-home-");
        var log = Path.Combine(home.FullName, "local-mode.log");
        var kubeconfig = Path.Combine(root, "infra-operator-local.kubeconfig");
        File.Delete(kubeconfig);

        // setsid: local mode gets its own process group, so Ctrl-C (SIGINT to the group) reaches it as a terminal would
        // deliver it. SIGINT is reset to its default first: a process started from a background job inherits it ignored,
        // and .NET (rightly) keeps an inherited ignore.
        var pidFile = Path.Combine(home.FullName, "pid");
        var script = $"echo $$ > '{pidFile}'; exec dotnet '{executable}' > '{log}' 2>&1 < /dev/null";
        var start = new ProcessStartInfo("setsid", ["python3", "-c",
            "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('bash', ['bash', '-c', sys.argv[1]])", script])
        {
            WorkingDirectory = root,
        };
        Configure(start.Environment, home.FullName);
        using var localMode = Process.Start(start)!;
        await Eventually.UntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, "local mode's process group");
        var pgid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await Eventually.UntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("running in local mode", StringComparison.Ordinal),
                "local mode to start", TimeSpan.FromMinutes(2));
            File.Exists(kubeconfig).Should().BeTrue();

            var outputs = new List<string>();
            foreach (var command in commands.Skip(1))
            {
                var (code, output) = await Bash(command, root, home.FullName, TimeSpan.FromMinutes(3));
                code.Should().Be(0, $"`{command}` failed:\n{output}\nlocal mode log:\n{Tail(log)}");
                outputs.Add(output);
            }
            var byCommand = commands.Skip(1).Zip(outputs).ToList();
            Output("wait --for=condition=Ready").Should().Contain("condition met");
            Output("get ecscluster\n").Should().Contain("CLUSTER NAME").And.Contain("my-fargate-cluster").And.Contain("ACTIVE");
            Output("jsonpath").Should().Be("arn:aws:ecs:us-east-1:123456789012:cluster/my-fargate-cluster");
            Output("describe").Should().Contain("Conditions").And.Contain("Synced").And.Contain("Created")
                .And.NotMatchRegex(@"(?m)^\s+Warning\s", "the quick start's cluster, applied right after its provider, shows no Warning");
            Output("delete").Should().Contain("deleted");
            File.ReadAllText(log).Should().Contain("ECSCluster default/fargate-cluster (cluster my-fargate-cluster): status=ACTIVE ready=true");

            string Output(string marker) =>
                byCommand.Single(c => (c.First + "\n").Contains(marker, StringComparison.Ordinal)).Second.Trim();

            await Bash($"kill -INT -- -{pgid}", root, home.FullName, TimeSpan.FromSeconds(10));
            // The group leader is local mode itself (setsid, python and bash each exec the next).
            await localMode.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            File.ReadAllText(log).Should().Contain("infra-operator local mode stopped.");
        }
        finally
        {
            await Bash($"kill -KILL -- -{pgid} 2>/dev/null; true", root, home.FullName, TimeSpan.FromSeconds(10));
            File.Delete(kubeconfig);
            home.Delete(recursive: true);
        }
    }

    /// <summary>The commands of the README's quick-start block, comments and blank lines dropped.</summary>
    private static List<string> QuickStartCommands()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var block = QuickStartBlock().Match(readme);
        block.Success.Should().BeTrue("README.md must keep its quick-start markers");
        return [.. block.Groups[1].Value.Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("```", StringComparison.Ordinal))];
    }

    private static string Tail(string file) => File.Exists(file) ? string.Join('\n', File.ReadAllLines(file).TakeLast(40)) : "";

    private static void Configure(IDictionary<string, string?> environment, string home)
    {
        environment["HOME"] = home; // a fresh kubectl discovery cache
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
    }

    private static async Task<(int Code, string Output)> Bash(string command, string workingDirectory, string home, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Configure(info.Environment, home);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{command}` did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"<!-- quickstart:begin -->(.*?)<!-- quickstart:end -->", RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();
}
