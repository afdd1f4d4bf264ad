using System.Text.Json.Nodes;

namespace Operator.Testing.Kubernetes.Validation;

/// <summary>A field-level validation failure, shaped like a Kubernetes StatusCause.</summary>
public sealed record FieldError(string Field, string Type, string Message);

/// <summary>
/// Placeholder for the CRD schema validator written by another engineer. Same shape as the agreed contract:
/// it applies no defaults and reports no errors. Replaced at merge time.
/// </summary>
public sealed class CrdSchemaValidator
{
    public CrdSchemaValidator(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
    }

    public void ApplyDefaults(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
    }

    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? oldObj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return [];
    }
}
