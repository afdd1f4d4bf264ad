using System.Net.Http.Headers;
using System.Threading.Channels;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// Reads a raw watch stream line by line (what KubernetesClient's watcher does underneath) so tests can assert on
/// every event, including BOOKMARK and ERROR, and on how the stream ends.
/// </summary>
internal sealed class WatchCollector : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _cts = new();
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _pump;

    private WatchCollector(HttpClient http, HttpResponseMessage response)
    {
        _http = http;
        Response = response;
        _pump = PumpAsync(response);
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Completes when the server ends the stream (normally or by reset).</summary>
    public Task Ended => _pump;

    public static async Task<WatchCollector> OpenAsync(Uri baseAddress, string pathAndQuery)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new WatchCollector(http, response);
    }

    /// <summary>The next event, or failure after the timeout.</summary>
    public async Task<JsonObject> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("no watch event arrived in time");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail("the watch ended before the expected event");
            throw;
        }
    }

    /// <summary>Skips BOOKMARKs.</summary>
    public async Task<JsonObject> NextNonBookmarkAsync()
    {
        while (true)
        {
            var ev = await NextAsync();
            if (ev["type"]!.GetValue<string>() != "BOOKMARK")
            {
                return ev;
            }
        }
    }

    /// <summary>The next event already received, without waiting.</summary>
    public bool TryRead(out JsonObject ev) => _events.Reader.TryRead(out ev!);

    /// <summary>Every event up to the end of the stream.</summary>
    public async Task<List<JsonObject>> ReadToEndAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var all = new List<JsonObject>();
        await foreach (var ev in _events.Reader.ReadAllAsync(cts.Token))
        {
            all.Add(ev);
        }

        return all;
    }

    private async Task PumpAsync(HttpResponseMessage response)
    {
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            using var stream = await response.Content.ReadAsStreamAsync(_cts.Token);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(_cts.Token) is { } line)
            {
                if (line.Length > 0)
                {
                    await _events.Writer.WriteAsync(JsonNode.Parse(line)!.AsObject());
                }
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            // Reset or cancelled: the stream is over either way.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _cts.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
        }

        Response.Dispose();
        _http.Dispose();
        _cts.Dispose();
    }
}
