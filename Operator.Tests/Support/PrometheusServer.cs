using System.Net.Sockets;

namespace Operator.Tests.Support;

/// <summary>
/// Debian's <c>prometheus</c> (and its <c>promtool</c>) for tests: <see cref="StartAsync"/> runs the server on
/// 127.0.0.1 on a free port, with its own temporary directory for the configuration and the TSDB, and answers once
/// <c>/-/ready</c> does; <see cref="QueryAsync"/> asks its HTTP API for an instant vector. A missing binary fails the
/// test with the command that installs it (<c>.ci/run</c> installs it), never a silent skip. Disposing kills the
/// server (only the process this started) and deletes its directory.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private PrometheusServer(Process process, DirectoryInfo directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>The path of <paramref name="tool"/> (prometheus, promtool), or a failed test saying how to install it.</summary>
    public static string Require(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var path = Path.Combine(dir, tool);
            if (File.Exists(path))
            {
                return path;
            }
        }
        Assert.Fail($"{tool} is not installed: the monitoring tests need Debian's prometheus package (`apt-get install -y prometheus`, which .ci/run does)");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/> (and <paramref name="stdin"/>); returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunToolAsync(string tool, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Starts Prometheus scraping <paramref name="target"/> (host:port) as job <c>infra-operator</c> every second,
    /// evaluating <paramref name="ruleFiles"/> every second.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string target, IEnumerable<string> ruleFiles)
    {
        var binary = Require("prometheus");
        var directory = Directory.CreateTempSubdirectory("prometheus-test-");
        var port = FreePort();
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
            {string.Concat(ruleFiles.Select(f => $"  - {f}\n"))}
            scrape_configs:
              - job_name: infra-operator
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target}"]

            """);
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory.FullName,
        };
        foreach (var arg in new[]
                 {
                     $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                     $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--log.level=warn",
                 })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"));
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                Assert.Fail($"prometheus exited with {process.ExitCode}: {server.Output}");
            }
            try
            {
                using var ready = await server._http.GetAsync(new Uri(server.Address, "-/ready"));
                return ready.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, () => $"prometheus to be ready: {server.Output}", TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>The series an instant query returns now (label sets with the value as "__value__"); fails on a query error.</summary>
    public async Task<List<Dictionary<string, string>>> QueryAsync(string promql)
    {
        var url = new Uri(Address, "api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = JsonNode.Parse(await _http.GetStringAsync(url))!;
        body["status"]!.GetValue<string>().Should().Be("success", $"the query {promql} must be valid: {body.ToJsonString()}");
        var data = body["data"]!;
        if (data["resultType"]!.GetValue<string>() != "vector")
        {
            Assert.Fail($"{promql} returned a {data["resultType"]}, not an instant vector");
        }
        return [.. data["result"]!.AsArray().Select(r =>
        {
            var labels = r!["metric"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal);
            labels["__value__"] = r["value"]![1]!.GetValue<string>();
            return labels;
        })];
    }

    /// <summary>Waits until <paramref name="promql"/> returns a series matching <paramref name="match"/>; returns the series.</summary>
    public async Task<List<Dictionary<string, string>>> WaitForAsync(string promql, Func<List<Dictionary<string, string>>, bool> match, string what, TimeSpan? timeout = null)
    {
        List<Dictionary<string, string>> last = [];
        await Eventually.UntilAsync(async () => match(last = await QueryAsync(promql)),
            () => $"{what}: `{promql}` returned [{string.Join("; ", last.Select(Show))}]", timeout ?? TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));
        return last;
    }

    public static string Show(Dictionary<string, string> series) => "{" + string.Join(",", series.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) + "}";

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _http.Dispose();
        _directory.Delete(recursive: true);
    }
}
