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
/// A misbehaving stand-in for an AWS endpoint, for a provider's <c>spec.endpoint</c>, on 127.0.0.1 over real HTTP.
/// STS requests (no <c>X-Amz-Target</c>) get <see cref="Sts"/>, by default a well-formed GetCallerIdentity answer
/// for <see cref="Account"/> so the provider becomes Ready; ECS requests get <see cref="Ecs"/>. A
/// <see cref="Reply.Hang"/> reply accepts the request and never answers until the client gives up. Counts requests
/// and the most ECS requests open at once. Signatures are not checked.
/// </summary>
internal sealed class FakeAwsEndpoint : IAsyncDisposable
{
    public const string Account = "999988887777";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private int _ecsOpen;
    private int _ecsMaxOpen;
    private int _ecsRequests;
    private int _stsRequests;

    private FakeAwsEndpoint(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public Reply? Sts { get; set; }

    public Reply Ecs { get; set; } = Reply.Hang;

    public int EcsRequests => Volatile.Read(ref _ecsRequests);
    public int StsRequests => Volatile.Read(ref _stsRequests);

    /// <summary>The most ECS requests that were waiting for an answer at the same time.</summary>
    public int EcsMaxOpen => Volatile.Read(ref _ecsMaxOpen);

    public static async Task<FakeAwsEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new FakeAwsEndpoint(app);
        app.Run(endpoint.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoint.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var isEcs = context.Request.Headers.ContainsKey("X-Amz-Target");
        if (!isEcs)
        {
            Interlocked.Increment(ref _stsRequests);
            await AnswerAsync(context, Sts ?? CallerIdentity);
            return;
        }

        Interlocked.Increment(ref _ecsRequests);
        var open = Interlocked.Increment(ref _ecsOpen);
        try
        {
            for (var max = Volatile.Read(ref _ecsMaxOpen); open > max; max = Volatile.Read(ref _ecsMaxOpen))
            {
                Interlocked.CompareExchange(ref _ecsMaxOpen, open, max);
            }
            await AnswerAsync(context, Ecs);
        }
        finally
        {
            Interlocked.Decrement(ref _ecsOpen);
        }
    }

    private async Task AnswerAsync(HttpContext context, Reply reply)
    {
        if (reply.Hangs)
        {
            using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, gone.Token);
            }
            catch (OperationCanceledException)
            {
            }
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = reply.ContentType;
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(reply.Body));
    }

    private static Reply CallerIdentity => new(200, "text/xml",
        $"""
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <GetCallerIdentityResult>
            <Arn>arn:aws:iam::{Account}:user/fake</Arn>
            <UserId>AIDAFAKEFAKEFAKEFAKE</UserId>
            <Account>{Account}</Account>
          </GetCallerIdentityResult>
          <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
        </GetCallerIdentityResponse>
        """);

    /// <summary>What the endpoint answers: a status, content type and body, or nothing at all (<see cref="Hang"/>).</summary>
    internal sealed record Reply(int Status, string ContentType, string Body)
    {
        public static Reply Hang { get; } = new(0, "", "") { Hangs = true };

        public bool Hangs { get; private init; }
    }
}
