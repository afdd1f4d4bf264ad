using Operator.Testing.Kubernetes.Validation;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// What the emulator needs from a CRD version's schema: defaulting, then validation. Normally backed by
/// <see cref="CrdSchemaValidator"/>; tests can substitute their own through
/// <see cref="KubeApiEmulatorOptions.ValidatorFactory"/>.
/// </summary>
internal interface ICustomResourceValidator
{
    /// <summary>Removes the fields the schema does not know and returns their paths (run before <see cref="ApplyDefaults"/>).</summary>
    IReadOnlyList<string> PruneUnknown(JsonObject obj) => [];

    void ApplyDefaults(JsonObject obj);

    /// <summary>Defaults; <paramref name="pruneNulls"/> false keeps nulls the schema does not allow, so validation refuses them.</summary>
    void ApplyDefaults(JsonObject obj, bool pruneNulls) => ApplyDefaults(obj);

    IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? oldObj);
}
