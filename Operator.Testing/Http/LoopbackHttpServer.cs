using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Operator.Testing.Http;

/// <summary>
/// Kestrel on 127.0.0.1 answering every request with one handler: what the emulators and the tests' stand-in endpoints
/// (an attacker's server, a misbehaving AWS endpoint, an OTLP receiver) are served by. The port is free when 0 is asked
/// for; <see cref="Url"/> is the address it listens on, ending in '/'. The empty builder reads no configuration files,
/// so no file watchers pile up when tests start many servers, and logs nothing. Disposing stops the server (requests
/// in flight get the host's shutdown time-out to finish) and frees the port.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHttpServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public int Port => Url.Port;

    /// <param name="handle">Answers every request.</param>
    /// <param name="port">The port to listen on; 0 for a free one.</param>
    /// <param name="listen">Configures the listener further (e.g. connection middleware that records raw bytes).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<LoopbackHttpServer> StartAsync(RequestDelegate handle, int port = 0, Action<ListenOptions>? listen = null,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, options => listen?.Invoke(options)));
        var app = builder.Build();
        app.Run(handle);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new LoopbackHttpServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
