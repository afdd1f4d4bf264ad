using System.Threading.Channels;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// Runs the real kubectl against a kubeconfig, with its own HOME and KUBECACHEDIR so discovery is never served from
/// a stale cache. Every run is bounded: on timeout the whole process tree is killed.
/// </summary>
internal sealed class KubectlProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private KubectlProcess(Process process) => _process = process;

    public static string Binary => File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";

    public string Stdout
    {
        get { lock (_stdout) { return _stdout.ToString(); } }
    }

    public string Stderr
    {
        get { lock (_stderr) { return _stderr.ToString(); } }
    }

    public int ExitCode => _process.ExitCode;

    public static KubectlProcess Start(string kubeconfig, string home, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("KUBECONFIG");
        psi.Environment["HOME"] = home;
        psi.Environment["KUBECACHEDIR"] = Path.Combine(home, "cache");
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var k = new KubectlProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                k._lines.Writer.TryComplete();
                k._stdoutDone.TrySetResult();
                return;
            }

            lock (k._stdout)
            {
                k._stdout.AppendLine(e.Data);
            }

            k._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                k._stderrDone.TrySetResult();
                return;
            }

            lock (k._stderr)
            {
                k._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        return k;
    }

    /// <summary>Waits for exit; kills the tree and fails the test on timeout.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(timeout);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"kubectl {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout}. stdout: {Stdout} stderr: {Stderr}");
        }
    }

    /// <summary>Waits for a stdout line containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Fail($"kubectl printed no line containing '{text}'. stdout: {Stdout} stderr: {Stderr}");
        throw new InvalidOperationException("unreachable");
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
