namespace Operator.Testing.Kubernetes.Validation;

/// <summary>
/// Turns validation errors into what kube-apiserver returns (apimachinery errors.NewInvalid): HTTP 422 with a
/// <c>Status</c> whose message is <c>Kind.group "name" is invalid: ...</c> and one cause per error.
/// </summary>
public static class InvalidStatus
{
    /// <summary>field.Error.ErrorBody(): the message without the leading "field: ".</summary>
    public static string Body(this FieldError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var prefix = error.Field + ": ";
        return error.Message.StartsWith(prefix, StringComparison.Ordinal) ? error.Message[prefix.Length..] : error.Message;
    }

    /// <summary>
    /// The Status message: <c>ECSCluster.aws-infra-operator.runner.codes "x" is invalid: spec.a: ...</c> for one error,
    /// <c>... is invalid: [spec.a: ..., spec.b: ...]</c> for several (identical messages are listed once).
    /// </summary>
    public static string Message(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var qualified = string.IsNullOrEmpty(group) ? kind : kind + "." + group;
        var messages = errors.Select(e => e.Message).Distinct(StringComparer.Ordinal).ToList();
        return messages.Count switch
        {
            0 => $"{qualified} {GoFormat.Quote(name)} is invalid",
            1 => $"{qualified} {GoFormat.Quote(name)} is invalid: {messages[0]}",
            _ => $"{qualified} {GoFormat.Quote(name)} is invalid: [{string.Join(", ", messages)}]",
        };
    }

    /// <summary>The full <c>Status</c> object (code 422, reason Invalid, details with causes).</summary>
    public static JsonObject ToStatus(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Type, ["message"] = e.Body(), ["field"] = e.Field });
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message(kind, group, name, errors),
            ["reason"] = "Invalid",
            ["details"] = new JsonObject
            {
                ["name"] = name,
                ["group"] = group,
                ["kind"] = kind,
                ["causes"] = causes,
            },
            ["code"] = 422,
        };
    }
}
