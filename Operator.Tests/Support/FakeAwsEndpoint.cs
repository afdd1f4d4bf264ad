using Microsoft.AspNetCore.Http;
using Operator.Testing.Http;

namespace Operator.Tests.Support;

/// <summary>
/// A misbehaving stand-in for an AWS endpoint, for a provider's <c>spec.endpoint</c>, on 127.0.0.1 over real HTTP.
/// STS requests (no <c>X-Amz-Target</c>) get <see cref="Sts"/>, by default a well-formed GetCallerIdentity answer
/// for <see cref="Account"/> so the provider becomes Ready; ECS requests get <see cref="Ecs"/>. A
/// <see cref="Reply.Hang"/> reply accepts the request and never answers until the client gives up. Counts requests
/// and the most requests of each service open at once, and keeps every byte received per connection
/// (<see cref="Raw"/>). Signatures are not checked.
/// </summary>
internal sealed class FakeAwsEndpoint : IAsyncDisposable
{
    public const string Account = "999988887777";

    private LoopbackHttpServer _server = null!;
    private readonly CancellationTokenSource _stopping = new();
    private readonly OpenCounter _ecs = new();
    private readonly OpenCounter _sts = new();

    private FakeAwsEndpoint(ConnectionRecorder raw) => Raw = raw;

    public Uri Endpoint => _server.Url;

    public int Port => Endpoint.Port;

    public Reply? Sts { get; set; }

    public Reply Ecs { get; set; } = Reply.Hang;

    /// <summary>The bytes received per connection, as they came off the socket.</summary>
    public ConnectionRecorder Raw { get; }

    public int EcsRequests => _ecs.Requests;
    public int StsRequests => _sts.Requests;

    /// <summary>The most ECS requests that were waiting for an answer at the same time.</summary>
    public int EcsMaxOpen => _ecs.MaxOpen;

    /// <summary>STS requests waiting for an answer now, and the most that ever were at the same time.</summary>
    public int StsOpen => _sts.Open;
    public int StsMaxOpen => _sts.MaxOpen;

    public static async Task<FakeAwsEndpoint> StartAsync()
    {
        var endpoint = new FakeAwsEndpoint(new ConnectionRecorder());
        endpoint._server = await LoopbackHttpServer.StartAsync(endpoint.HandleAsync, listen: endpoint.Raw.Attach);
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _server.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var isEcs = context.Request.Headers.ContainsKey("X-Amz-Target");
        var counter = isEcs ? _ecs : _sts;
        counter.Enter();
        try
        {
            await AnswerAsync(context, isEcs ? Ecs : Sts ?? CallerIdentity);
        }
        finally
        {
            counter.Leave();
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
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        if (reply.LargeBody is { } size)
        {
            await WriteLargeAsync(context, size, reply.DeclareLength, reply.ContentType.Contains("xml", StringComparison.Ordinal));
            return;
        }
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(reply.Body));
    }

    // A JSON object (or an XML element) padded with spaces to the size, so that a parser keeps reading; written in
    // 64 KB chunks until the client goes away.
    private static async Task WriteLargeAsync(HttpContext context, long size, bool declareLength, bool xml)
    {
        var (open, close) = xml ? ("<GetCallerIdentityResponse>"u8.ToArray(), "</GetCallerIdentityResponse>"u8.ToArray()) : ("{"u8.ToArray(), "}"u8.ToArray());
        if (declareLength)
        {
            context.Response.ContentLength = size;
        }
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        try
        {
            await context.Response.Body.WriteAsync(open, context.RequestAborted);
            for (var written = (long)open.Length + close.Length; written < size; written += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)), context.RequestAborted);
            }
            await context.Response.Body.WriteAsync(close, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client stopped reading: what a bounded reader does.
        }
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

        /// <summary>Response headers besides the content type (e.g. Location).</summary>
        public IReadOnlyDictionary<string, string>? Headers { get; init; }

        /// <summary>Instead of <see cref="Body"/>, a JSON object (an XML element for an XML content type) of this many
        /// bytes, streamed.</summary>
        public long? LargeBody { get; init; }

        /// <summary>With <see cref="LargeBody"/>: send its Content-Length (else the body is chunked, its size unknown).</summary>
        public bool DeclareLength { get; init; } = true;

        public static Reply Redirect(int status, Uri location) =>
            new(status, "text/plain", "moved") { Headers = new Dictionary<string, string> { ["Location"] = location.ToString() } };

        public static Reply Large(long bytes, bool declareLength) =>
            new(200, "application/x-amz-json-1.1", "") { LargeBody = bytes, DeclareLength = declareLength };

        /// <summary>An ECS client error answered at once (the call fails without a retry).</summary>
        public static Reply EcsClientError { get; } =
            new(400, "application/x-amz-json-1.1", """{"__type":"ClientException","message":"refused by the fake endpoint"}""");
    }

    private sealed class OpenCounter
    {
        private int _open;
        private int _maxOpen;
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);
        public int Open => Volatile.Read(ref _open);
        public int MaxOpen => Volatile.Read(ref _maxOpen);

        public void Enter()
        {
            Interlocked.Increment(ref _requests);
            var open = Interlocked.Increment(ref _open);
            for (var max = Volatile.Read(ref _maxOpen); open > max; max = Volatile.Read(ref _maxOpen))
            {
                Interlocked.CompareExchange(ref _maxOpen, open, max);
            }
        }

        public void Leave() => Interlocked.Decrement(ref _open);
    }
}
