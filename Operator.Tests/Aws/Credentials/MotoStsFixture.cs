using System.ComponentModel;
using System.Net.Sockets;
using System.Text.Json;

namespace Operator.Tests.Aws.Credentials;

/// <summary>
/// A moto server (python3 -m moto.server) on a free loopback port, owned by one test fixture. Start waits until it
/// answers HTTP (or fails with a message naming the missing piece); Dispose kills the whole process tree. Tests call
/// <see cref="ResetAsync"/> between cases. Private to the credentials tests until it is merged with the shared one.
/// </summary>
internal sealed class MotoStsFixture : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private MotoStsFixture(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = $"http://127.0.0.1:{port}";
        _http = new HttpClient { BaseAddress = new Uri(Endpoint), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public string Endpoint { get; }

    public static async Task<MotoStsFixture> StartAsync()
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("python3 is not installed or not on PATH; moto tests need it", e);
        }

        var moto = new MotoStsFixture(process, port);
        process.OutputDataReceived += (_, e) => moto.Append(e.Data);
        process.ErrorDataReceived += (_, e) => moto.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await Eventually.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"moto server exited with code {process.ExitCode} (is moto installed? pip install 'moto[server]'):\n{moto.Output}");
                }
                try
                {
                    using var response = await moto._http.GetAsync("/moto-api/");
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, () => $"moto server to answer on {moto.Endpoint} within {StartTimeout}:\n{moto.Output}", StartTimeout, TimeSpan.FromMilliseconds(200));
            return moto;
        }
        catch
        {
            await moto.DisposeAsync();
            throw;
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task ResetAsync()
    {
        using var response = await _http.PostAsync("/moto-api/reset", null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>moto's recorded STS AssumedRole objects (role_arn, session_name, external_id, ...).</summary>
    public async Task<IReadOnlyList<JsonElement>> AssumedRolesAsync()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync("/moto-api/data.json"));
        if (!doc.RootElement.TryGetProperty("sts", out var sts) || !sts.TryGetProperty("AssumedRole", out var roles))
        {
            return [];
        }

        return roles.EnumerateArray().Select(r => r.Clone()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    /// <summary>A loopback port that nothing listens on at the time of the call.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
