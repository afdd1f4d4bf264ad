using Microsoft.AspNetCore.Http;
using Operator.Testing.Http;

namespace Operator.Tests.Support;

/// <summary>
/// An OTLP/HTTP trace receiver for tests (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>): Kestrel on 127.0.0.1 takes
/// <c>POST /v1/traces</c> (an <c>ExportTraceServiceRequest</c> in protobuf), decodes the spans with their resource's
/// <c>service.name</c>, and answers 200 with an empty response. Only the fields tests read are decoded (trace, span
/// and parent ids, name, the resource's string attributes); the wire format is walked generically, so unknown fields
/// are skipped. Thread-safe.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private LoopbackHttpServer _server = null!;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    /// <summary>The value for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces).</summary>
    public Uri Endpoint => _server.Url;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        receiver._server = await LoopbackHttpServer.StartAsync(receiver.HandleAsync);
        return receiver;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != HttpMethods.Post || context.Request.Path != "/v1/traces")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        Decode(body.ToArray());
        context.Response.ContentType = "application/x-protobuf";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>The settings that make the operator export its spans here, as its configuration reads them.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    private void Decode(byte[] request)
    {
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            var spans = new List<byte[]>();
            foreach (var (f, v) in Fields(resourceSpans))
            {
                if (f == 1)
                {
                    foreach (var (af, kv) in Fields(v))
                    {
                        if (af == 1 && KeyValue(kv) is { } pair)
                        {
                            attributes[pair.Key] = pair.Value;
                        }
                    }
                }
                else if (f == 2)
                {
                    spans.AddRange(Fields(v).Where(s => s.Field == 2).Select(s => s.Value));
                }
            }
            foreach (var span in spans)
            {
                string trace = "", id = "", parent = "", name = "";
                foreach (var (f, v) in Fields(span))
                {
                    switch (f)
                    {
                        case 1: trace = Convert.ToHexStringLower(v); break;
                        case 2: id = Convert.ToHexStringLower(v); break;
                        case 4: parent = Convert.ToHexStringLower(v); break;
                        case 5: name = System.Text.Encoding.UTF8.GetString(v); break;
                    }
                }
                _spans.Enqueue(new ReceivedSpan(trace, id, parent, name, attributes.GetValueOrDefault("service.name", "")));
            }
        }
    }

    private static (string Key, string Value)? KeyValue(byte[] kv)
    {
        string? key = null, value = null;
        foreach (var (f, v) in Fields(kv))
        {
            if (f == 1)
            {
                key = System.Text.Encoding.UTF8.GetString(v);
            }
            else if (f == 2)
            {
                value = Fields(v).Where(x => x.Field == 1).Select(x => System.Text.Encoding.UTF8.GetString(x.Value)).FirstOrDefault();
            }
        }
        return key is null || value is null ? null : (key, value);
    }

    /// <summary>The length-delimited fields of a protobuf message (varints and fixed-size fields skipped).</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var i = 0;
        while (i < message.Length)
        {
            var tag = Varint(message, ref i);
            var field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0: Varint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    fields.Add((field, message[i..(i + length)]));
                    i += length;
                    break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {tag & 7}");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}

/// <summary>One span as the receiver decoded it; ids are lower-case hex, the parent empty for a root span.</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, string ServiceName);
