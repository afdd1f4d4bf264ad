namespace Operator.Tests.Deploy;

/// <summary>Looks objects up in a built kustomization by kind, name and namespace, and reads their fields.</summary>
internal static class Manifest
{
    public const string OperatorNamespace = "infra-operator-system";
    public const string OperatorServiceAccount = "infra-operator-controller-manager";
    public const string OperatorDeployment = "infra-operator-controller-manager";

    public static string Kind(this JsonObject obj) => obj["kind"]!.GetValue<string>();

    public static string Name(this JsonObject obj) => obj["metadata"]!["name"]!.GetValue<string>();

    /// <summary>The object's namespace, or null for cluster-scoped objects (and namespaced ones that name none).</summary>
    public static string? Namespace(this JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>();

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => o.Kind() == kind);

    /// <summary>The one object of <paramref name="kind"/> named <paramref name="name"/>; fails the test otherwise.</summary>
    public static JsonObject Single(this IEnumerable<JsonObject> objects, string kind, string name, string? ns = null)
    {
        var found = objects.OfKind(kind).Where(o => o.Name() == name && (ns is null || o.Namespace() == ns)).ToList();
        found.Should().HaveCount(1, $"the build must hold exactly one {kind} {ns}/{name}");
        return found[0];
    }

    public static JsonObject OperatorDeploymentOf(IEnumerable<JsonObject> objects) =>
        objects.Single("Deployment", OperatorDeployment, OperatorNamespace);

    /// <summary>spec.template.spec of a workload.</summary>
    public static JsonObject PodSpec(this JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    /// <summary>Every container of the pod: init containers first, then the regular ones.</summary>
    public static IReadOnlyList<JsonObject> AllContainers(this JsonObject podSpec) =>
        [.. Items(podSpec["initContainers"]), .. Items(podSpec["containers"])];

    public static IReadOnlyList<JsonObject> Items(JsonNode? array) =>
        array is JsonArray a ? [.. a.Select(n => n!.AsObject())] : [];

    public static IReadOnlyList<string> Strings(JsonNode? array) =>
        array is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? map) =>
        map is JsonObject o ? o.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) : new Dictionary<string, string>();

    /// <summary>The value of <c>--name=value</c> in <paramref name="args"/>, or null when the flag is absent.</summary>
    public static string? Flag(IReadOnlyList<string> args, string name)
    {
        var values = args.Where(a => a.StartsWith(name + "=", StringComparison.Ordinal)).Select(a => a[(name.Length + 1)..]).ToList();
        values.Should().HaveCountLessThanOrEqualTo(1, $"{name} must be given at most once");
        return values.SingleOrDefault();
    }

    /// <summary>Bytes of a Kubernetes memory quantity (Ki, Mi, Gi, k, M, G, or plain bytes).</summary>
    public static long MemoryBytes(string quantity)
    {
        (string Suffix, long Factor)[] units =
            [("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("k", 1000), ("M", 1000_000), ("G", 1000_000_000)];
        foreach (var (suffix, factor) in units)
        {
            if (quantity.EndsWith(suffix, StringComparison.Ordinal))
            {
                return long.Parse(quantity[..^suffix.Length], System.Globalization.CultureInfo.InvariantCulture) * factor;
            }
        }
        return long.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Millicores of a Kubernetes CPU quantity ("100m", "1", "0.5").</summary>
    public static long MilliCpu(string quantity) =>
        quantity.EndsWith('m')
            ? long.Parse(quantity[..^1], System.Globalization.CultureInfo.InvariantCulture)
            : (long)(decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture) * 1000);
}
