using System.Reflection;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>Where a kind lives on the API server: group, version, plural, and the REST paths built from them.</summary>
internal sealed record ResourceType(string Group, string Version, string Plural, string Kind)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The collection path, across all namespaces when <paramref name="ns"/> is null.</summary>
    public string CollectionPath(string? ns) =>
        (Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}")
        + (ns is null ? "" : $"/namespaces/{Uri.EscapeDataString(ns)}")
        + "/" + Plural;

    public string ObjectPath(string ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";

    /// <summary>Reads the <see cref="KubernetesEntityAttribute"/> the model and the client's built-in types carry.</summary>
    public static ResourceType Of<T>() => Of(typeof(T));

    public static ResourceType Of(Type type)
    {
        var entity = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [KubernetesEntity] attribute", nameof(type));
        return new ResourceType(entity.Group ?? "", entity.ApiVersion, entity.PluralName, entity.Kind);
    }
}
