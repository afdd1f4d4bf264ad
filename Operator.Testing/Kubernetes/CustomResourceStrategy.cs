namespace Operator.Testing.Kubernetes;

/// <summary>
/// Objects of a CRD-served kind. Writes are pruned (under the request's <see cref="FieldValidation"/> mode),
/// defaulted and validated by the CRD version's schema (<see cref="ResourceType.Validator"/>; none when the version
/// has no schema); a main-resource write is not failed by errors under <c>status</c>, a /status write validates the
/// whole object. As the real custom resource strategy: a PUT must carry a resourceVersion, strategic merge patch is
/// refused, DELETE answers the object, and the generation is always tracked.
/// </summary>
internal sealed class CustomResourceStrategy : ResourceStrategy
{
    public static readonly CustomResourceStrategy Instance = new();

    public override bool AllowUnconditionalUpdate => false;

    public override bool SupportsStrategicMergePatch => false;

    public override bool DeleteReturnsObject => true;

    public override void Validate(ResourceType type, JsonObject obj, JsonObject? old, bool statusWrite, FieldValidation? fields, bool fromApply = false)
    {
        if (type.Validator is null)
        {
            return;
        }

        var pruned = type.Validator.PruneUnknown(obj);
        fields?.Report(type, pruned, statusWrite);
        type.Validator.ApplyDefaults(obj, pruneNulls: !fromApply);
        var errors = type.Validator.Validate(obj, old);
        if (!statusWrite)
        {
            errors = errors.Where(e => e.Field != "status" && !e.Field.StartsWith("status.", StringComparison.Ordinal) && !e.Field.StartsWith("status[", StringComparison.Ordinal)).ToList();
        }

        if (errors.Count > 0)
        {
            throw KubeStatus.Invalid(type.Group, type.Kind, Str(obj["metadata"]?["name"]) ?? "", errors);
        }
    }
}
