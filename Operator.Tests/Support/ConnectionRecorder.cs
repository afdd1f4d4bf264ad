using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Operator.Tests.Support;

/// <summary>
/// Every byte a Kestrel listener receives, per TCP connection, before HTTP parsing: what a server of the tenant's
/// choice really gets (smuggled requests, headers that were injected, and which requests shared a connection).
/// Attach it to a listener with <see cref="Attach"/>. Thread-safe.
/// </summary>
internal sealed class ConnectionRecorder
{
    private readonly ConcurrentDictionary<string, RecordedConnection> _connections = new(StringComparer.Ordinal);

    /// <summary>The connections accepted so far, each with the bytes received on it (Latin-1, byte for byte).</summary>
    public IReadOnlyList<RecordedConnection> Connections => [.. _connections.Values.OrderBy(c => c.Opened)];

    /// <summary>All bytes received on all connections.</summary>
    public long BytesReceived => _connections.Values.Sum(c => c.Length);

    public void Attach(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var recorded = new RecordedConnection(connection.ConnectionId, DateTimeOffset.UtcNow);
        _connections[connection.ConnectionId] = recorded;
        var original = connection.Transport;
        var input = PipeReader.Create(new TeeStream(original.Input.AsStream(leaveOpen: true), recorded));
        connection.Transport = new DuplexPipe(input, original.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = original;
        }
    });

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Reads through to the inner stream and keeps a copy of every byte.</summary>
    private sealed class TeeStream(Stream inner, RecordedConnection copy) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            copy.Append(buffer.AsSpan(offset, n));
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            copy.Append(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>One TCP connection's received bytes.</summary>
internal sealed class RecordedConnection(string id, DateTimeOffset opened)
{
    private readonly Lock _gate = new();
    private readonly MemoryStream _bytes = new();

    public string Id { get; } = id;
    public DateTimeOffset Opened { get; } = opened;

    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _bytes.Length;
            }
        }
    }

    /// <summary>The bytes as text, one char per byte, so that CR, LF and any other byte show exactly as received.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                return Encoding.Latin1.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
            }
        }
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _bytes.Write(bytes);
        }
    }
}
