using System.Net.Sockets;
using Amazon.Runtime;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// Maps failures of STS calls to <see cref="ProviderCredentialsException"/>. Messages are built from the operation,
/// the AWS error code and the endpoint only: AWS error messages can echo request parameters, so they are not copied.
/// Returns null for failures that are not a credentials problem (throttling, 5xx, bugs); callers rethrow those.
/// </summary>
internal static class StsErrors
{
    private static readonly HashSet<string> InvalidCredentialCodes = new(StringComparer.Ordinal)
    {
        "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "ExpiredToken",
        "ExpiredTokenException", "InvalidIdentityToken", "IDPRejectedClaim", "IncompleteSignature",
        "MissingAuthenticationToken", "AuthFailure",
    };

    private static readonly HashSet<string> AccessDeniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "RegionDisabledException",
    };

    /// <param name="callerToken">The caller's token: a cancellation it requested is never mapped.</param>
    public static ProviderCredentialsException? Map(Exception e, string operation, string? endpoint, CancellationToken callerToken)
    {
        // Our refreshing credentials throw mapped exceptions from inside the SDK's pipeline, which may wrap them.
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            if (x is ProviderCredentialsException pce)
            {
                return pce;
            }
        }

        if (e is OperationCanceledException && callerToken.IsCancellationRequested)
        {
            return null;
        }

        var where = string.IsNullOrEmpty(endpoint) ? "the regional STS endpoint" : $"STS endpoint {Redact(endpoint)}";
        if (Http.AwsHttpRefusedException.Find(e) is { } refused)
        {
            return new ProviderCredentialsException(ProviderCredentialsReasons.Of(refused.Kind), $"{operation} at {where}: {refused.Message}", e);
        }

        if (e is AmazonServiceException ase && !string.IsNullOrEmpty(ase.ErrorCode))
        {
            if (InvalidCredentialCodes.Contains(ase.ErrorCode))
            {
                return new ProviderCredentialsException(ProviderCredentialsReasons.InvalidCredentials,
                    $"{operation} at {where} rejected the credentials ({Text.ForeignText.Clean(ase.ErrorCode, 128)})", e);
            }

            if (AccessDeniedCodes.Contains(ase.ErrorCode))
            {
                return new ProviderCredentialsException(ProviderCredentialsReasons.AccessDenied,
                    $"{operation} at {where} was denied ({Text.ForeignText.Clean(ase.ErrorCode, 128)})", e);
            }

            return null;
        }

        if (IsUnreachable(e))
        {
            return new ProviderCredentialsException(ProviderCredentialsReasons.EndpointUnreachable,
                $"{operation}: {where} is unreachable ({Describe(e)})", e);
        }

        return null;
    }

    // The SDK wraps transport failures at different depths depending on where they happen (connect, send, read,
    // retry exhausted), so look through the whole chain.
    private static bool IsUnreachable(Exception e)
    {
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException or SocketException or TimeoutException or OperationCanceledException
                or IOException)
            {
                return true;
            }
        }

        return false;
    }

    // An endpoint URL could carry user info ("http://user:password@host"); never repeat it.
    private static string Redact(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : endpoint;

    private static string Describe(Exception e)
    {
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case SocketException se:
                    return se.SocketErrorCode.ToString();
                case HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } hre:
                    return hre.HttpRequestError.ToString();
                case OperationCanceledException or TimeoutException:
                    return "timed out";
            }
        }

        return e.GetType().Name;
    }
}
