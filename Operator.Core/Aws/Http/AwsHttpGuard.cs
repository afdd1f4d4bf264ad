namespace Operator.Core.Aws.Http;

/// <summary>
/// The lowest layer every ECS and STS request of the operator passes, right above the socket handler
/// (<see cref="AwsHttpPools"/> builds every AWS HttpClient on it). Guarantees, whoever built the request (the ECS
/// client, the AWS SDK's STS client) and whatever the credentials or endpoint answered:
/// <list type="bullet">
/// <item>a request with a header value containing CR, LF or NUL is refused before any byte is written
/// (<see cref="AwsHttpRefusal.UnsafeHeader"/>): no header injection or request splitting, even by credentials that
/// escaped validation (an STS answer is the endpoint's text);</item>
/// <item>a 3xx answer fails the call (<see cref="AwsHttpRefusal.Redirect"/>, naming the Location's host); with the
/// socket handler's automatic redirects off, nothing is ever sent to the Location;</item>
/// <item>a response body is read as a stream of at most <c>maxResponseBytes</c> bytes: a larger declared
/// Content-Length fails before the body is read, and a body that turns out larger fails once the cap is passed
/// (<see cref="AwsHttpRefusal.ResponseTooLarge"/>), with nothing more buffered, whoever reads it.</item>
/// </list>
/// Failures are <see cref="AwsHttpRefusedException"/>, which nothing retries. Thread-safe; shared by every client of a
/// pool.
/// </summary>
internal sealed class AwsHttpGuard(long maxResponseBytes) : DelegatingHandler
{
    public long MaxResponseBytes { get; } = maxResponseBytes;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        RefuseUnsafeHeaders(request.Headers.NonValidated);
        if (request.Content is { } content)
        {
            RefuseUnsafeHeaders(content.Headers.NonValidated);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
        {
            var target = Describe(response.Headers.Location);
            response.Dispose();
            throw AwsHttpRefusedException.Redirect(status, target);
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            response.Dispose();
            throw AwsHttpRefusedException.TooLarge(MaxResponseBytes);
        }

        response.Content = new BoundedContent(response.Content, MaxResponseBytes);
        return response;
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("AWS requests are sent asynchronously only");

    private static void RefuseUnsafeHeaders(System.Net.Http.Headers.HttpHeadersNonValidated headers)
    {
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                {
                    throw AwsHttpRefusedException.UnsafeHeader(name);
                }
            }
        }
    }

    // The endpoint's text goes into a condition: only a parsed host (and port) is repeated, never the raw header.
    private static string Describe(Uri? location) => location switch
    {
        null => "nowhere (no Location header)",
        { IsAbsoluteUri: true } uri when uri.IdnHost.Length > 0 => $"host {(uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}")}",
        { IsAbsoluteUri: true } => "a location without a host",
        _ => "a relative location on the same host",
    };
}
