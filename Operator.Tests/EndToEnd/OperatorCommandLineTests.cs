using System.Net.Sockets;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// The command line of both executables, run as processes: the operator (<see cref="OperatorProcessTests.Binary"/>:
/// this build's Operator.dll, or the Native AOT executable under scripts/test-aot) and local mode (Operator.Local.dll).
/// --help prints the flags and exits 0 (the operator without any kubeconfig); an unknown flag or a bad value is one line
/// on stderr naming it, exit code 2; a port in use is one line, exit code 1; nothing prints a stack trace.
/// </summary>
[TestFixture]
public sealed class OperatorCommandLineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private string _home = null!;

    [OneTimeSetUp]
    public void SetUp() => _home = Directory.CreateTempSubdirectory("cli-home-").FullName;

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_home, recursive: true);

    private static string LocalMode => Path.Combine(AppContext.BaseDirectory, "Operator.Local.dll");

    /// <summary>Runs an executable with a HOME holding no kubeconfig and no KUBECONFIG; returns exit code, stdout, stderr.</summary>
    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(string binary, params string[] args)
    {
        var start = binary.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { binary } }
            : new ProcessStartInfo(binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = _home;
        start.Environment["HOME"] = _home;
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{binary} {string.Join(' ', args)} did not exit within {Timeout}: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static void OneLine(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle($"one line, not a stack trace: {stderr}").Which.Should().Be(expected);
    }

    [Test]
    public async Task Operator_help_prints_every_flag_and_exits_0_without_a_kubeconfig()
    {
        var (code, stdout, stderr) = await RunAsync(OperatorProcessTests.Binary, "--help");
        code.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        stdout.Should().StartWith("Usage: Operator [run] [flags]");
        foreach (var flag in Operator.Hosting.OperatorFlags.All)
        {
            stdout.Should().MatchRegex($@"(?m)^  {flag.Name} \S+ +{System.Text.RegularExpressions.Regex.Escape(flag.Help)}");
        }
        stdout.Should().Contain("--resync-period hh:mm:ss").And.Contain("(default: 00:10:00)");
        (await RunAsync(OperatorProcessTests.Binary, "run", "--workers", "2", "-h")).Code.Should().Be(0, "-h after other flags still only prints the help");
    }

    [TestCase("--resync-perod", "00:00:10", "error: unknown flag --resync-perod (see --help for the flags)")]
    [TestCase("--workers", "abc", "error: invalid value 'abc' for --workers: expected an integer from 1 to 1024")]
    [TestCase("--resync-period", "10s", "error: invalid value '10s' for --resync-period: expected a duration as hh:mm:ss greater than zero, e.g. 00:00:30")]
    [TestCase("--leader-elect", "yes", "error: invalid value 'yes' for --leader-elect: expected true or false")]
    [TestCase("--log-format", "xml", "error: invalid value 'xml' for --log-format: expected one of json, text")]
    public async Task Operator_refuses_an_unknown_flag_or_a_bad_value_in_one_line_with_exit_code_2(string flag, string value, string expected)
    {
        var (code, stdout, stderr) = await RunAsync(OperatorProcessTests.Binary, "run", flag, value);
        code.Should().Be(2);
        OneLine(stderr, expected);
        stdout.Should().BeEmpty();
        (await RunAsync(OperatorProcessTests.Binary, $"{flag}={value}")).Stderr.Trim().Should().Be(expected, "--flag=value is checked the same way");
    }

    [Test]
    public async Task Operator_refuses_contradicting_settings_and_a_missing_kubeconfig_in_one_line()
    {
        var (code, _, stderr) = await RunAsync(OperatorProcessTests.Binary, "--leader-election-lease-duration", "00:00:05", "--leader-election-renew-deadline", "00:00:10");
        code.Should().Be(2);
        OneLine(stderr, "error: --leader-election-renew-deadline (00:00:10) must be shorter than --leader-election-lease-duration (00:00:05)");

        var missing = Path.Combine(_home, "nowhere.kubeconfig");
        (code, _, stderr) = await RunAsync(OperatorProcessTests.Binary, "--kubeconfig", missing);
        code.Should().Be(1);
        OneLine(stderr, $"error: cannot read the kubeconfig: kubeconfig file not found at {missing} (give one with --kubeconfig)");
    }

    [Test]
    public async Task Operator_reports_a_port_in_use_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var kubeconfig = Path.Combine(_home, "port-test.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: c, user: u}}]
            current-context: c
            """);
        var (code, _, stderr) = await RunAsync(OperatorProcessTests.Binary, "--kubeconfig", kubeconfig, "--bind-address", "127.0.0.1",
            "--metrics-port", port, "--health-port", "0", "--leader-elect", "false");
        code.Should().Be(1);
        OneLine(stderr, $"error: Failed to bind to address http://127.0.0.1:{port}: address already in use (another process holds the port; choose another with its flag)");
    }

    [Test]
    public async Task Local_mode_help_prints_its_flags_and_the_operators_and_starts_nothing()
    {
        var (code, stdout, stderr) = await RunAsync(LocalMode, "--help");
        code.Should().Be(0, stderr);
        stdout.Should().StartWith("Usage: dotnet run --project Operator.Local").And.Contain("Local mode's flags:").And.Contain("--state-dir TEXT")
            .And.Contain("--kubeconfig-out TEXT").And.Contain("Operator flags (they win over local mode's defaults):").And.Contain("--resync-period hh:mm:ss");
        stdout.Should().NotContain("running in local mode");
        File.Exists(Path.Combine(_home, "infra-operator-local.kubeconfig")).Should().BeFalse("--help writes no kubeconfig");
    }

    [TestCase("--api-port", "abc", "error: invalid value 'abc' for --api-port: expected an integer from 0 to 65535")]
    [TestCase("--provisioning-seconds", "-1", "error: invalid value '-1' for --provisioning-seconds: expected a number of at least 0")]
    [TestCase("--resync-perod", "00:00:10", "error: unknown flag --resync-perod (see --help for the flags)")]
    public async Task Local_mode_refuses_an_unknown_flag_or_a_bad_value_in_one_line_with_exit_code_2(string flag, string value, string expected)
    {
        var (code, stdout, stderr) = await RunAsync(LocalMode, flag, value);
        code.Should().Be(2);
        OneLine(stderr, expected);
        stdout.Should().BeEmpty();
    }

    [Test]
    public async Task Local_mode_reports_an_api_port_in_use_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, _, stderr) = await RunAsync(LocalMode, "--api-port", port, "--kubeconfig-out", Path.Combine(_home, "busy.kubeconfig"));
        code.Should().Be(1);
        OneLine(stderr, $"error: Failed to bind to address http://127.0.0.1:{port}: address already in use (another process holds the port; choose another with its flag)");
        File.Exists(Path.Combine(_home, "busy.kubeconfig.lock")).Should().BeFalse("the lock goes with the process that held it");
    }
}
