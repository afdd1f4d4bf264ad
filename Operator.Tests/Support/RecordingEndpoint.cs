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
/// free port that keeps the full text of every request it receives (line, headers, body) and answers each with a
/// 403 and a plain-text body. Thread-safe.
/// </summary>
internal sealed class RecordingEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingEndpoint(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Everything received so far, one request after the other.</summary>
    public string All => string.Join("\n----\n", Requests);

    public static async Task<RecordingEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new RecordingEndpoint(app);
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
