using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Operator.Testing.Aws;

/// <summary>
/// moto (the third-party AWS emulator) as a child process: <c>python3 -m moto.server -H 127.0.0.1 -p PORT</c> on a
/// free port, ready once <c>/moto-api/</c> answers (polled, bounded by a timeout). <see cref="ResetAsync"/> wipes
/// its state between tests; disposing kills the whole process tree. When python3 or moto is missing,
/// <see cref="StartAsync"/> throws with a message saying how to install it — tests fail, they are not skipped.
/// </summary>
internal sealed class MotoServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly Queue<string> _output = new();

    private MotoServer(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
        _http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Endpoint { get; }

    /// <summary>The account moto puts every resource in unless told otherwise.</summary>
    public const string AccountId = "123456789012";

    /// <param name="python">The interpreter (tests of the failure path point it elsewhere).</param>
    /// <param name="module">The server module.</param>
    public static async Task<MotoServer> StartAsync(TimeSpan? startupTimeout = null, string python = "python3", string module = "moto.server",
        CancellationToken cancellationToken = default)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-m", module, "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The AWS contract tests need moto: {python} was not found on PATH. Install Python 3 and `python3 -m pip install 'moto[server]'`.", e);
        }

        var server = new MotoServer(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync(startupTimeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops every resource moto holds (all accounts and regions).</summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsync("moto-api/reset", content: null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or did not die in time: nothing more a test fixture can do.
        }

        _process.Dispose();
        _http.Dispose();
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (_process.HasExited)
            {
                // Lets the asynchronous output readers drain, so the message carries python's complaint.
                await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"moto exited with code {_process.ExitCode} before answering. Is it installed (`python3 -m pip install 'moto[server]'`)? Output:{Environment.NewLine}{Output()}");
            }

            try
            {
                using var response = await _http.GetAsync("moto-api/", deadline.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"moto did not answer on {Endpoint} within {timeout}. Output:{Environment.NewLine}{Output()}");
            }

            try
            {
                await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"moto did not answer on {Endpoint} within {timeout}. Output:{Environment.NewLine}{Output()}");
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 50)
            {
                _output.Dequeue();
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
