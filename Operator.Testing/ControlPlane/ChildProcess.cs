using System.Diagnostics;

namespace Operator.Testing.ControlPlane;

/// <summary>
/// One long-running child process of a test fixture (etcd, kube-apiserver, an operator replica): its output appended
/// to a log file and kept in memory (the last lines), signalled by pid (SIGTERM, SIGKILL) as a kubelet or a shell
/// would, and stopped for good on disposal (SIGTERM, then SIGKILL after a grace period). Its pid, its start time and
/// the test process's pid are also written to <c>&lt;log&gt;.pid</c>, so a fixture can reap children a crashed test
/// run left behind (<see cref="ReapStale"/>), and never a later process that happens to reuse the pid.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly string _pidFile;
    private bool _closed;

    private ChildProcess(string name, Process process, StreamWriter log, string pidFile)
    {
        Name = name;
        _process = process;
        _log = log;
        _pidFile = pidFile;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Every line the process has written so far (up to the last 5,000).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _tail];
            }
        }
    }

    /// <summary>Raised for every output line, on a reader thread; must be quick.</summary>
    public event Action<string>? Line;

    public static ChildProcess Start(string name, string file, IEnumerable<string> arguments, string logPath,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"=== {DateTimeOffset.UtcNow:O} {file} {string.Join(' ', info.ArgumentList)}");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var pidFile = logPath + ".pid";
        File.WriteAllText(pidFile, $"{process.Id.ToString(CultureInfo.InvariantCulture)} {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} {StartTime(process.Id)}");
        var child = new ChildProcess(name, process, log, pidFile);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Sends a signal by pid (TERM, KILL, STOP, CONT, ...), as <c>kill -s</c> does.</summary>
    public async Task SignalAsync(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>True when the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it is still running after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        await SignalAsync("TERM").ConfigureAwait(false);
        if (!await WaitForExitAsync(grace).ConfigureAwait(false))
        {
            _process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
        File.Delete(_pidFile);
    }

    /// <summary>
    /// Kills the children recorded under <paramref name="root"/> (pid files written by <see cref="Start"/>) whose
    /// test process is gone: what a test run that crashed or was killed left running.
    /// </summary>
    public static void ReapStale(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }
        foreach (var pidFile in Directory.EnumerateFiles(root, "*.pid", SearchOption.AllDirectories))
        {
            var parts = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
                || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var owner) || Alive(owner))
            {
                continue;
            }
            if (StartTime(pid) != parts[2])
            {
                File.Delete(pidFile); // that pid is gone, or now another process's: nothing of ours to kill
                continue;
            }
            try
            {
                using var stale = Process.GetProcessById(pid);
                stale.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
            File.Delete(pidFile);
        }
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The process's start time in clock ticks since boot (/proc/pid/stat field 22): with the pid, it tells
    /// our child from a later process that reuses the pid. Empty when the process is gone.</summary>
    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Fields after the command name (in parentheses, which may contain spaces): state is field 3, starttime 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _log.WriteLine(line);
            _tail.Enqueue(line);
            while (_tail.Count > 5000)
            {
                _tail.Dequeue();
            }
        }
        Line?.Invoke(line);
    }
}
