namespace Operator.Testing.Kubernetes;

/// <summary>
/// Builds metav1.Status bodies with the exact reasons, codes and message texts that k8s.io/apimachinery's
/// errors package produces, because clients (and our operator) branch on them.
/// </summary>
internal static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        return status;
    }

    public static JsonObject Success(string name, string group, string kind, string? uid)
    {
        var details = Details(name, group, kind);
        if (uid is not null)
        {
            details["uid"] = uid;
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    /// <summary>"ecsclusters.group" or just "secrets" for the core group, as GroupResource.String() prints.</summary>
    public static string GroupResource(string group, string resource) =>
        group.Length == 0 ? resource : $"{resource}.{group}";

    public static KubeApiException NotFound(string group, string resource, string name) =>
        new(Failure(404, "NotFound", $"{GroupResource(group, resource)} \"{name}\" not found", Details(name, group, resource)));

    public static KubeApiException NamespaceNotFound(string ns) => NotFound("", "namespaces", ns);

    public static KubeApiException AlreadyExists(string group, string resource, string name) =>
        new(Failure(409, "AlreadyExists", $"{GroupResource(group, resource)} \"{name}\" already exists", Details(name, group, resource)));

    public static KubeApiException Conflict(string group, string resource, string name, string why) =>
        new(Failure(409, "Conflict", $"Operation cannot be fulfilled on {GroupResource(group, resource)} \"{name}\": {why}", Details(name, group, resource)));

    public const string ModifiedConflict = "the object has been modified; please apply your changes to the latest version and try again";

    public static KubeApiException BadRequest(string message) => new(Failure(400, "BadRequest", message));

    public static KubeApiException Forbidden(string group, string resource, string name, string why) =>
        new(Failure(403, "Forbidden", $"{GroupResource(group, resource)} \"{name}\" is forbidden: {why}", Details(name, group, resource)));

    public static KubeApiException MethodNotAllowed() =>
        new(Failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));

    public static KubeApiException UnsupportedMediaType(string contentType) =>
        new(Failure(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got \"{contentType}\")"));

    public static KubeApiException ResourceNotFound() =>
        new(Failure(404, "NotFound", "the server could not find the requested resource", new JsonObject()));

    /// <summary>A resourceVersion from the future: the real server waits briefly, then answers this 504.</summary>
    public static KubeApiException TooLargeResourceVersion(long requested, long current) =>
        new(Failure(504, "Timeout", $"Too large resource version: {requested}, current: {current}", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
            ["retryAfterSeconds"] = 1,
        }));

    public static KubeApiException Expired(string message) => new(Failure(410, "Expired", message));

    /// <summary>Field errors aggregate like field.ErrorList.ToAggregate(): one message bare, several in brackets.</summary>
    public static KubeApiException Invalid(string group, string kind, string name, IReadOnlyList<Validation.FieldError> errors)
    {
        var joined = errors.Count == 1 ? errors[0].Message : "[" + string.Join(", ", errors.Select(e => e.Message)) + "]";
        var qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";
        var details = Details(name, group, kind);
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            // A cause's message is the error without its field (field.Error.ErrorBody()): clients such as kubectl
            // print "<field>: <message>" from the causes, so a path in both would print twice.
            var body = e.Field.Length > 0 && e.Message.StartsWith(e.Field + ": ", StringComparison.Ordinal) ? e.Message[(e.Field.Length + 2)..] : e.Message;
            causes.Add(new JsonObject { ["reason"] = e.Type, ["message"] = body, ["field"] = e.Field });
        }

        details["causes"] = causes;
        return new(Failure(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {joined}", details));
    }

    public static KubeApiException UnprocessableEntity(string message) => new(Failure(422, "Invalid", message));

    public static JsonObject Details(string name, string group, string kind)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        return details;
    }
}
