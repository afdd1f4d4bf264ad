using Microsoft.AspNetCore.Http;
using Operator.Testing.Http;

namespace Operator.Tests.Support;

/// <summary>
/// A stand-in API server with canned answers, to see the exact bytes a client sends when it writes after reading a
/// given payload: <see cref="Answer"/> maps "METHOD /path" to a status and a JSON body (anything else is a 404
/// Status); every request is recorded with its method, path and query, content type and body. Thread-safe.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private LoopbackHttpServer _server = null!;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _answers = new(StringComparer.Ordinal);

    public Uri Url => _server.Url;

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public static async Task<FakeApiServer> StartAsync()
    {
        var server = new FakeApiServer();
        server._server = await LoopbackHttpServer.StartAsync(server.HandleAsync);
        return server;
    }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> with <paramref name="status"/> and <paramref name="body"/> from now on.</summary>
    public void Answer(string method, string path, string body, int status = 200) => _answers[$"{method} {path}"] = (status, body);

    public IKubernetes CreateClient() => new OperatorKubernetesClient(new KubernetesClientConfiguration { Host = Url.ToString().TrimEnd('/') }, EcsOperatorModule.Json);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

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
