using System.Collections.Concurrent;
using System.Net;
using System.Text;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Operator.Core.Kubernetes;
using Operator.Hosting;

namespace Operator.Tests.Support;

/// <summary>
/// A stand-in API server with canned answers, to see the exact bytes a client sends when it writes after reading a
/// given payload: <see cref="Answer"/> maps "METHOD /path" to a status and a JSON body (anything else is a 404
/// Status); every request is recorded with its method, path and query, content type and body. Thread-safe.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _answers = new(StringComparer.Ordinal);

    private FakeApiServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public static async Task<FakeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeApiServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> with <paramref name="status"/> and <paramref name="body"/> from now on.</summary>
    public void Answer(string method, string path, string body, int status = 200) => _answers[$"{method} {path}"] = (status, body);

    public IKubernetes CreateClient() => new OperatorKubernetesClient(new KubernetesClientConfiguration { Host = Url.ToString().TrimEnd('/') }, EcsOperatorModule.Json);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var path = context.Request.Path.Value ?? "";
        Requests.Enqueue(new Recorded(context.Request.Method, path, context.Request.QueryString.Value ?? "", context.Request.ContentType ?? "", body));
        var (status, answer) = _answers.TryGetValue($"{context.Request.Method} {path}", out var canned)
            ? canned
            : (404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }

    internal sealed record Recorded(string Method, string Path, string Query, string ContentType, string Body);
}
