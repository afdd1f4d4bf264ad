using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Clusters;

/// <summary>
/// "Absent" and "empty" for the optional spec fields the operator applies to ECS (capacityProviders,
/// defaultCapacityProviderStrategy, configuration, serviceConnectDefaults). A real apiserver cannot keep them apart:
/// server-side apply stores an applied <c>[]</c> as an absent field (and <c>{}</c> as null), and client-side apply
/// deletes a field dropped from the file. So the field's managed state decides, kept in
/// <c>status.managedSpecFields</c>:
/// <list type="bullet">
/// <item>a field the spec has never set is not managed: ECS keeps whatever it has (adoption keeps working);</item>
/// <item>once the spec sets it (even to an empty value), it is managed for the object's lifetime, and its absence
/// means empty: capacity providers and strategy cleared, ECS Exec back to <c>logging: DEFAULT</c>, Service Connect
/// defaults removed.</item>
/// </list>
/// Tags and settings need no memory: tags are always a managed set (absent means none beyond the provider's
/// defaultTags and the ownership tag) and settings are defaulted by the CRD.
/// </summary>
internal static class SpecFields
{
    public const string CapacityProviders = "capacityProviders";
    public const string Strategy = "defaultCapacityProviderStrategy";
    public const string Configuration = "configuration";
    public const string ServiceConnectDefaults = "serviceConnectDefaults";

    /// <summary>The fields managed once this generation is applied: those managed before and those the spec sets now, sorted.</summary>
    public static List<string>? Managed(ECSCluster obj)
    {
        var spec = obj.Spec;
        var managed = new SortedSet<string>(obj.Status?.ManagedSpecFields ?? [], StringComparer.Ordinal);
        if (spec.CapacityProviders is not null)
        {
            managed.Add(CapacityProviders);
        }
        if (spec.DefaultCapacityProviderStrategy is not null)
        {
            managed.Add(Strategy);
        }
        if (spec.Configuration is not null)
        {
            managed.Add(Configuration);
        }
        if (spec.ServiceConnectDefaults is not null)
        {
            managed.Add(ServiceConnectDefaults);
        }
        return managed.Count == 0 ? null : [.. managed];
    }

    /// <summary>Whether <paramref name="field"/> was managed before this pass (its absence from the spec then means empty).</summary>
    public static bool WasManaged(ECSCluster obj, string field) => obj.Status?.ManagedSpecFields?.Contains(field) == true;
}
