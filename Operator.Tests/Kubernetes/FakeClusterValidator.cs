using Operator.Testing.Kubernetes;
using Operator.Testing.Kubernetes.Validation;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// A stand-in for the schema validator with a few ECSCluster rules (pattern, immutability, a status enum, a default)
/// so the emulator's defaulting/validation plumbing is tested independently of the real validator.
/// </summary>
internal sealed partial class FakeClusterValidator : ICustomResourceValidator
{
    public void ApplyDefaults(JsonObject obj)
    {
        if (obj["spec"] is JsonObject spec)
        {
            spec["deletionPolicy"] ??= "Delete";
        }
    }

    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? oldObj)
    {
        var errors = new List<FieldError>();
        var name = obj["spec"]?["clusterName"]?.GetValue<string>();
        if (name is not null && !NamePattern().IsMatch(name))
        {
            errors.Add(new FieldError("spec.clusterName", "FieldValueInvalid",
                $"spec.clusterName: Invalid value: \"{name}\": spec.clusterName in body should match '^[a-zA-Z0-9_-]+$'"));
        }

        var oldName = oldObj?["spec"]?["clusterName"]?.GetValue<string>();
        if (oldName is not null && name != oldName)
        {
            errors.Add(new FieldError("spec.clusterName", "FieldValueInvalid", $"spec.clusterName: Invalid value: \"string\": clusterName is immutable"));
        }

        var status = obj["status"]?["status"]?.GetValue<string>();
        if (status is not null && status is not ("ACTIVE" or "PROVISIONING"))
        {
            errors.Add(new FieldError("status.status", "FieldValueNotSupported",
                $"status.status: Unsupported value: \"{status}\": supported values: \"ACTIVE\", \"PROVISIONING\""));
        }

        return errors;
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex NamePattern();
}
