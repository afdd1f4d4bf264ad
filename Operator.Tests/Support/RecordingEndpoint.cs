using Microsoft.AspNetCore.Http;
using Operator.Testing.Http;

namespace Operator.Tests.Support;

/// <summary>
/// A server of the tenant's choice (an attacker's, for the isolation tests): an HTTP listener on 127.0.0.1 with a
/// free port that keeps the full text of every request it receives (line, headers, body) and every byte of every
/// connection (<see cref="Raw"/>, before HTTP parsing), and answers each request with a 403 and a plain-text body.
/// Thread-safe.
/// </summary>
internal sealed class RecordingEndpoint : IAsyncDisposable
{
    private LoopbackHttpServer _server = null!;

    private RecordingEndpoint(ConnectionRecorder raw) => Raw = raw;

    public Uri Url => _server.Url;

    public int Port => Url.Port;

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The bytes received per connection, as they came off the socket.</summary>
    public ConnectionRecorder Raw { get; }

    /// <summary>Everything received so far: the parsed requests, one after the other, and every connection's raw bytes.</summary>
    public string All => string.Join("\n----\n", Requests.Concat(Raw.Connections.Select(c => c.Text)));

    public static async Task<RecordingEndpoint> StartAsync()
    {
        var endpoint = new RecordingEndpoint(new ConnectionRecorder());
        endpoint._server = await LoopbackHttpServer.StartAsync(endpoint.HandleAsync, listen: endpoint.Raw.Attach);
        return endpoint;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = string.Join("\n", context.Request.Headers.SelectMany(h => h.Value.Select(v => $"{h.Key}: {v}")));
        Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}\n{headers}\n\n{body}");
        context.Response.StatusCode = 403;
        await context.Response.WriteAsync("recorded", context.RequestAborted);
    }
}
