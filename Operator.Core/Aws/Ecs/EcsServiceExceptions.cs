using System.Net;

namespace Operator.Core.Aws.Ecs;

// The typed ECS errors. Each is a thin subclass of EcsException so callers can catch exactly what they handle;
// they live together because none carries behaviour of its own. Created by EcsErrorMapper.

/// <summary>The named cluster does not exist (or is not visible to this account/region).</summary>
public sealed class ClusterNotFoundException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ClusterNotFoundException", message, status, requestId, retryable: false);

/// <summary>DeleteCluster refused: the cluster still has active services.</summary>
public sealed class ClusterContainsServicesException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ClusterContainsServicesException", message, status, requestId, retryable: false);

/// <summary>DeleteCluster refused: the cluster still has running or pending tasks.</summary>
public sealed class ClusterContainsTasksException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ClusterContainsTasksException", message, status, requestId, retryable: false);

/// <summary>DeleteCluster refused: container instances are still registered.</summary>
public sealed class ClusterContainsContainerInstancesException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ClusterContainsContainerInstancesException", message, status, requestId, retryable: false);

/// <summary>
/// A previous capacity-provider update is still being applied. Not retried by the pipeline (it can take minutes):
/// the reconciler requeues instead.
/// </summary>
public sealed class UpdateInProgressException(string message, HttpStatusCode status, string? requestId)
    : EcsException("UpdateInProgressException", message, status, requestId, retryable: false);

/// <summary>A parameter is invalid (name pattern, tag rules, strategy limits...).</summary>
public sealed class InvalidParameterException(string message, HttpStatusCode status, string? requestId)
    : EcsException("InvalidParameterException", message, status, requestId, retryable: false);

/// <summary>ECS's generic client error (e.g. an unknown capacity provider).</summary>
public sealed class ClientException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ClientException", message, status, requestId, retryable: false);

/// <summary>ECS's generic server error; retryable.</summary>
public sealed class ServerException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ServerException", message, status, requestId, retryable: true);

/// <summary>The caller's identity lacks permission (IAM). Never retried.</summary>
public sealed class AccessDeniedException(string errorCode, string message, HttpStatusCode status, string? requestId)
    : EcsException(errorCode, message, status, requestId, retryable: false);

/// <summary>Request rate exceeded (<c>Rate exceeded</c>); retryable with backoff.</summary>
public sealed class ThrottlingException(string errorCode, string message, HttpStatusCode status, string? requestId)
    : EcsException(errorCode, message, status, requestId, retryable: true);

/// <summary>A resource quota was exceeded (not a rate limit); not retryable.</summary>
public sealed class LimitExceededException(string message, HttpStatusCode status, string? requestId)
    : EcsException("LimitExceededException", message, status, requestId, retryable: false);

/// <summary>The resource is in use (e.g. a capacity provider still associated).</summary>
public sealed class ResourceInUseException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ResourceInUseException", message, status, requestId, retryable: false);

/// <summary>The resource (ARN) does not exist.</summary>
public sealed class ResourceNotFoundException(string message, HttpStatusCode status, string? requestId)
    : EcsException("ResourceNotFoundException", message, status, requestId, retryable: false);

/// <summary>
/// The request was not authenticated: unknown access key (UnrecognizedClientException / InvalidClientTokenId),
/// bad signature (InvalidSignatureException, SignatureDoesNotMatch), expired token. Never retried.
/// </summary>
public sealed class AuthenticationFailedException(string errorCode, string message, HttpStatusCode status, string? requestId)
    : EcsException(errorCode, message, status, requestId, retryable: false);

/// <summary>Any other error code; retryable when the status is 5xx.</summary>
public sealed class UnknownEcsException(string errorCode, string message, HttpStatusCode status, string? requestId)
    : EcsException(errorCode, message, status, requestId, retryable: (int)status >= 500);
