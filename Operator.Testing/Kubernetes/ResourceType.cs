namespace Operator.Testing.Kubernetes;

/// <summary>
/// One served group/version/resource. Objects live under <see cref="StorageKey"/>, shared by every version of the
/// same group/resource (versions differ only in apiVersion; conversion strategy "None").
/// </summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required string Kind { get; init; }

    public string ListKind => Kind + "List";

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>True when writes to the main resource ignore .status and /status writes change only .status.</summary>
    public bool HasStatusSubresource { get; init; }

    /// <summary>Custom resources and CRDs carry metadata.generation; most built-ins here do not.</summary>
    public bool TracksGeneration { get; init; }

    public bool IsCustom { get; init; }

    public IReadOnlyList<PrinterColumn> Columns { get; init; } = [];

    /// <summary>Events print their name last and hidden (priority 1), like the real server's event table.</summary>
    public bool NameColumnLast { get; init; }

    public ICustomResourceValidator? Validator { get; init; }

    /// <summary>What this kind's writes, reads and deletes mean beyond the shared registry flow.</summary>
    public ResourceStrategy Strategy { get; init; } = ResourceStrategy.Generic;

    /// <summary>The kind as server-side apply and managedFields see it: the CRD version's schema, or the built-in model.</summary>
    public FieldManagement.TypeNode FieldTypes
    {
        get => _fieldTypes ??= FieldManagement.BuiltInTypes.For(Kind);
        init => _fieldTypes = value;
    }

    private FieldManagement.TypeNode? _fieldTypes;

    /// <summary>The CRD version's openAPIV3Schema, published in /openapi/v2 and /openapi/v3 (null for built-ins).</summary>
    public System.Text.Json.Nodes.JsonObject? Schema { get; init; }

    /// <summary>Storage key of the event kinds, which share storage across core/v1 and events.k8s.io/v1.</summary>
    public string StorageKey
    {
        get => _storageKey ?? $"{Group}/{Plural}";
        init => _storageKey = value;
    }

    private readonly string? _storageKey;

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    /// <summary>The verbs discovery lists for the resource.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>A review the handler answers itself (SelfSubjectAccessReview): created, never stored.</summary>
    public bool IsReview { get; init; }

    public static readonly IReadOnlyList<string> AllVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
