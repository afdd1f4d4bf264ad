using System.Globalization;

namespace Operator.Core.Aws.Http;

/// <summary>
/// An AWS request or response that the HTTP layer (<see cref="AwsHttpGuard"/>) refused. It is deliberately neither an
/// <see cref="HttpRequestException"/> nor an <see cref="IOException"/>: refusing again is all a retry could do, so
/// neither the operator's retry pipeline nor the AWS SDK's retries it. The message names the header, the redirect's
/// host or the limit, never a header's value, so it may go into conditions, Events and logs.
/// </summary>
internal sealed class AwsHttpRefusedException : Exception
{
    private AwsHttpRefusedException(AwsHttpRefusal kind, string message) : base(message) => Kind = kind;

    public AwsHttpRefusal Kind { get; }

    public static AwsHttpRefusedException UnsafeHeader(string header) => new(AwsHttpRefusal.UnsafeHeader,
        $"refused to send a request whose {header} header contains a control character (CR, LF or NUL); nothing was sent");

    public static AwsHttpRefusedException Redirect(int status, string target) => new(AwsHttpRefusal.Redirect,
        $"the endpoint answered HTTP {status.ToString(CultureInfo.InvariantCulture)} redirecting to {target}; AWS APIs never " +
        "redirect, so the operator follows no redirect and sent nothing there");

    public static AwsHttpRefusedException TooLarge(long limit) => new(AwsHttpRefusal.ResponseTooLarge,
        $"the response body is larger than {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes (--aws-max-response-bytes); " +
        "the rest of it was not read");

    /// <summary>The refusal in <paramref name="e"/> or its inner exceptions (the AWS SDK wraps what it cannot parse).</summary>
    public static AwsHttpRefusedException? Find(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is AwsHttpRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }
}

/// <summary>What <see cref="AwsHttpGuard"/> refused.</summary>
internal enum AwsHttpRefusal
{
    /// <summary>A request header value with CR, LF or NUL: sent, it would add headers or split the request.</summary>
    UnsafeHeader,

    /// <summary>A 3xx answer: following it would send the request, signed headers included, to another host.</summary>
    Redirect,

    /// <summary>A response body larger than the cap.</summary>
    ResponseTooLarge,
}
