namespace Operator.Tests.LocalMode;

/// <summary>
/// Local mode as a process (the built Operator.Local.dll, as `dotnet run --project Operator.Local` runs it) from the
/// repository root, its output captured. <see cref="StartAsync"/> returns once the banner is printed (or the process
/// has exited); <see cref="StopAsync"/> sends SIGTERM, as a service manager does, and waits for the exit; disposing
/// kills what is left of it (only the process this started). The runtime recompiles a method at its optimized tier
/// only after 1,000 calls instead of 30 (DOTNET_TC_CallCountThreshold, a JIT setting that changes no behaviour): a
/// local mode that lives for one test would otherwise spend most of its CPU after start-up recompiling methods it then
/// calls a few more times, CPU the tests running beside it wait for on a busy machine.
/// </summary>
internal sealed partial class LocalModeProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();

    private LocalModeProcess(Process process) => Process = process;

    public Process Process { get; }

    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>The banner's aws CLI settings (its export line), as environment variables.</summary>
    public Dictionary<string, string> AwsEnvironment =>
        ExportLine().Match(Log).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>The banner's line that starts with <paramref name="label"/> (e.g. "Kubernetes API emulator:").</summary>
    public string BannerLine(string label) => Log.Split('\n').First(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal)).Trim();

    public static async Task<LocalModeProcess> StartAsync(string home, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Operator.Local.dll"), .. args])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_TC_CallCountThreshold"] = "1000";
        var process = new Process { StartInfo = start };
        var local = new LocalModeProcess(process);
        process.OutputDataReceived += (_, e) => local.Append(e.Data);
        process.ErrorDataReceived += (_, e) => local.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.UntilAsync(() => local.Log.Contains("Press Ctrl-C to stop.", StringComparison.Ordinal) || process.HasExited,
            "local mode's banner", TimeSpan.FromMinutes(2));
        if (process.HasExited)
        {
            await process.WaitForExitAsync(); // all output read
        }
        return local;
    }

    public async Task StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await Process.WaitForExitAsync(cts.Token);
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

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }

    [GeneratedRegex(@"export ((?:AWS_\w+=\S+ ?)+)")]
    private static partial Regex ExportLine();
}
