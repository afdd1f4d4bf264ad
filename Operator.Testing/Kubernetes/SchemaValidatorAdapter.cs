using Operator.Testing.Kubernetes.Validation;

namespace Operator.Testing.Kubernetes;

/// <summary>The default <see cref="ICustomResourceValidator"/>: the CRD's openAPIV3Schema through <see cref="CrdSchemaValidator"/>.</summary>
internal sealed class SchemaValidatorAdapter(JsonObject openApiV3Schema) : ICustomResourceValidator
{
    private readonly CrdSchemaValidator _validator = new(openApiV3Schema);

    public IReadOnlyList<string> PruneUnknown(JsonObject obj) => _validator.Prune(obj);

    /// <summary>Prunes unknown fields, then defaults, in the apiserver's order.</summary>
    public void ApplyDefaults(JsonObject obj) => ApplyDefaults(obj, pruneNulls: true);

    public void ApplyDefaults(JsonObject obj, bool pruneNulls)
    {
        _validator.Prune(obj);
        _validator.ApplyDefaults(obj, pruneNulls);
    }

    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? oldObj) => _validator.Validate(obj, oldObj);
}
