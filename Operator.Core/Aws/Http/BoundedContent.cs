using System.Net;

namespace Operator.Core.Aws.Http;

/// <summary>
/// A response body that yields at most <c>limit</c> bytes: reading past them throws
/// <see cref="AwsHttpRefusedException"/> (<see cref="AwsHttpRefusal.ResponseTooLarge"/>), having read at most one byte
/// more than the limit from the connection. Every way of reading the content (as a stream, buffered, copied) goes
/// through that stream. The headers are the inner content's.
/// </summary>
internal sealed class BoundedContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly long _limit;

    public BoundedContent(HttpContent inner, long limit)
    {
        _inner = inner;
        _limit = limit;
        foreach (var (name, values) in inner.Headers.NonValidated)
        {
            Headers.TryAddWithoutValidation(name, values);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new BoundedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _limit);

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
        new BoundedStream(_inner.ReadAsStream(cancellationToken), _limit);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false; // the Content-Length header, when the endpoint sent one, was copied above
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class BoundedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer[..Allowed(buffer.Length)]));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken).ConfigureAwait(false));

        // One byte beyond the limit is asked for, so that a body of exactly the limit is told from a longer one.
        private int Allowed(int requested) => (int)Math.Min(requested, limit - _read + 1);

        private int Count(int n)
        {
            _read += n;
            if (_read > limit)
            {
                throw AwsHttpRefusedException.TooLarge(limit);
            }
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
