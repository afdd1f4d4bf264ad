using System.Reflection;
using k8s.Models;

namespace Operator.Core.Kubernetes;

/// <summary>
/// Where a kind lives on the API server: group, version, plural, and the REST paths built from them; and how its objects
/// are asked for: whole, or as metadata only (<see cref="MetadataOnly"/>, for <see cref="PartialObjectMetadata{TKind}"/>).
/// </summary>
internal sealed record ResourceType(string Group, string Version, string Plural, string Kind)
{
    private const string Json = "application/json";

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Lists and watches ask for the objects' metadata only, and get PartialObjectMetadata(List) answers.</summary>
    public bool MetadataOnly { get; init; }

    /// <summary>The Accept header of a list: no fallback to whole objects, so an answer can never carry more.</summary>
    public string ListAccept => MetadataOnly ? $"{Json};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" : Json;

    /// <summary>The Accept header of a watch (its events carry PartialObjectMetadata objects when <see cref="MetadataOnly"/>).</summary>
    public string WatchAccept => MetadataOnly ? $"{Json};as=PartialObjectMetadata;g=meta.k8s.io;v=v1" : Json;

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
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PartialObjectMetadata<>))
        {
            return Of(type.GetGenericArguments()[0]) with { MetadataOnly = true };
        }
        var entity = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [KubernetesEntity] attribute", nameof(type));
        return new ResourceType(entity.Group ?? "", entity.ApiVersion, entity.PluralName, entity.Kind);
    }
}
