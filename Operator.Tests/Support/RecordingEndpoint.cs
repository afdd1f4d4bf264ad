using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Operator.Tests.Support;

/// <summary>
/// A server of the tenant's choice (an attacker's, for the isolation tests): an HTTP listener on 127.0.0.1 with a
/// free port that keeps the full text of every request it receives (line, headers, body) and every byte of every
/// connection (<see cref="Raw"/>, before HTTP parsing), and answers each request with a 403 and a plain-text body.
/// Thread-safe.
/// </summary>
internal sealed class RecordingEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingEndpoint(WebApplication app, ConnectionRecorder raw)
    {
        _app = app;
        Raw = raw;
    }

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The bytes received per connection, as they came off the socket.</summary>
    public ConnectionRecorder Raw { get; }

    /// <summary>Everything received so far: the parsed requests, one after the other, and every connection's raw bytes.</summary>
    public string All => string.Join("\n----\n", Requests.Concat(Raw.Connections.Select(c => c.Text)));

    public static async Task<RecordingEndpoint> StartAsync()
    {
        var raw = new ConnectionRecorder();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, raw.Attach));
        var app = builder.Build();
        var endpoint = new RecordingEndpoint(app, raw);
        app.Run(endpoint.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoint.Url = new Uri(address.TrimEnd('/') + "/");
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

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
