using System.Net;
using System.Text.Json;

namespace Operator.Core.Aws.Ecs;

/// <summary>
/// Turns an ECS error response (JSON 1.1: <c>{"__type": "ns#Code", "message"|"Message": ...}</c>, error type
/// possibly only in the <c>X-Amzn-ErrorType</c> header, or a non-JSON body from a proxy) into a typed
/// <see cref="EcsException"/>.
/// </summary>
internal static class EcsErrorMapper
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
    };

    private static readonly HashSet<string> AuthenticationCodes = new(StringComparer.Ordinal)
    {
        "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch",
        "IncompleteSignature", "IncompleteSignatureException", "MissingAuthenticationToken",
        "MissingAuthenticationTokenException", "ExpiredToken", "ExpiredTokenException", "InvalidSignature",
    };

    public static EcsException Map(HttpStatusCode status, string? body, string? errorTypeHeader, string? requestId)
    {
        var (code, message) = Parse(body, errorTypeHeader);
        if (string.IsNullOrEmpty(code))
        {
            code = (int)status >= 500 ? "ServerException" : status == HttpStatusCode.TooManyRequests ? "ThrottlingException" : "UnknownError";
        }

        message ??= $"ECS returned HTTP {(int)status} ({code}).";
        return Create(code, message, status, requestId);
    }

    public static EcsException Create(string code, string message, HttpStatusCode status, string? requestId) => code switch
    {
        "ClusterNotFoundException" => new ClusterNotFoundException(message, status, requestId),
        "ClusterContainsServicesException" => new ClusterContainsServicesException(message, status, requestId),
        "ClusterContainsTasksException" => new ClusterContainsTasksException(message, status, requestId),
        "ClusterContainsContainerInstancesException" => new ClusterContainsContainerInstancesException(message, status, requestId),
        "UpdateInProgressException" => new UpdateInProgressException(message, status, requestId),
        "InvalidParameterException" => new InvalidParameterException(message, status, requestId),
        "ClientException" => new ClientException(message, status, requestId),
        "ServerException" => new ServerException(message, status, requestId),
        "AccessDeniedException" or "AccessDenied" => new AccessDeniedException(code, message, status, requestId),
        "LimitExceededException" => new LimitExceededException(message, status, requestId),
        "ResourceInUseException" => new ResourceInUseException(message, status, requestId),
        "ResourceNotFoundException" => new ResourceNotFoundException(message, status, requestId),
        _ when ThrottlingCodes.Contains(code) => new ThrottlingException(code, message, status, requestId),
        _ when AuthenticationCodes.Contains(code) => new AuthenticationFailedException(code, message, status, requestId),
        _ => new UnknownEcsException(code, message, status, requestId),
    };

    private static (string? Code, string? Message) Parse(string? body, string? errorTypeHeader)
    {
        string? code = Normalise(errorTypeHeader);
        string? message = null;
        if (!string.IsNullOrWhiteSpace(body) && body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    if (property.NameEquals("__type") || property.NameEquals("code") || property.NameEquals("Code"))
                    {
                        code = Normalise(property.Value.GetString()) ?? code;
                    }
                    else if (property.NameEquals("message") || property.NameEquals("Message"))
                    {
                        message ??= property.Value.GetString();
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all (a proxy's error page): keep what the status and header say.
            }
        }

        return (code, message);
    }

    // "com.amazonaws.ecs#ClusterNotFoundException" or "ClusterNotFoundException:http://..." → "ClusterNotFoundException".
    private static string? Normalise(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var code = raw.Trim();
        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        var colon = code.IndexOf(':');
        if (colon >= 0)
        {
            code = code[..colon];
        }

        return code.Length == 0 ? null : code;
    }
}
