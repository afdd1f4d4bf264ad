using System.Text.RegularExpressions;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Clusters;

/// <summary>
/// The reconciler's own check of an ECSCluster spec, before any AWS call. It repeats the CRD's rules (an API server
/// without CEL, or an object stored before the CRD was tightened, must not reach AWS with them) and adds what the
/// schema cannot see: the tag count after the provider's defaultTags and the ownership tag are merged in, and the
/// provider's defaultTags themselves (a provider stored before its CRD was tightened), which become this cluster's tags.
/// The ownership tag fits by construction (<see cref="Ownership.OwnerValue"/>).
/// Returns problems as "field: reason", empty when the spec is valid.
/// </summary>
internal static partial class SpecCheck
{
    public const int MaxTags = 50;
    public const int MaxTagKeyLength = 128;
    public const int MaxTagValueLength = 256;

    public static IReadOnlyList<string> Problems(ECSCluster obj, AWSProvider? provider)
    {
        var spec = obj.Spec;
        var problems = new List<string>();
        if (!ClusterNamePattern().IsMatch(spec.ClusterName ?? ""))
        {
            problems.Add($"spec.clusterName: \"{spec.ClusterName}\" must be 1-255 letters, digits, hyphens or underscores");
        }
        if (spec.CapacityProviders is { } cps && cps.Distinct(StringComparer.Ordinal).Count() != cps.Count)
        {
            problems.Add("spec.capacityProviders: lists a capacity provider more than once");
        }
        if (spec.DefaultCapacityProviderStrategy is { } strategy)
        {
            if (strategy.Count > 6)
            {
                problems.Add($"spec.defaultCapacityProviderStrategy: has {strategy.Count} items, at most 6 are allowed");
            }
            if (strategy.Count(s => (s.Base ?? 0) > 0) > 1)
            {
                problems.Add("spec.defaultCapacityProviderStrategy: at most one item may have a base greater than 0");
            }
            if (strategy.Select(s => s.CapacityProvider).Distinct(StringComparer.Ordinal).Count() != strategy.Count)
            {
                problems.Add("spec.defaultCapacityProviderStrategy: lists a capacity provider more than once");
            }
            foreach (var (item, i) in strategy.Select((s, i) => (s, i)))
            {
                if (item.Weight is < 0 or > 1000)
                {
                    problems.Add($"spec.defaultCapacityProviderStrategy[{i}].weight: {item.Weight} is not within 0-1000");
                }
                if (item.Base is < 0 or > 100000)
                {
                    problems.Add($"spec.defaultCapacityProviderStrategy[{i}].base: {item.Base} is not within 0-100000");
                }
                if (spec.CapacityProviders is { } listed && !listed.Contains(item.CapacityProvider))
                {
                    problems.Add($"spec.defaultCapacityProviderStrategy[{i}].capacityProvider: \"{item.CapacityProvider}\" is not listed in spec.capacityProviders");
                }
            }
        }
        if (spec.Configuration?.ExecuteCommandConfiguration is { } exec)
        {
            if (exec.LogConfiguration is not null && exec.Logging != "OVERRIDE")
            {
                problems.Add("spec.configuration.executeCommandConfiguration.logConfiguration: may be set only when logging is OVERRIDE");
            }
            if (exec.Logging == "OVERRIDE" && exec.LogConfiguration is null)
            {
                problems.Add("spec.configuration.executeCommandConfiguration.logging: OVERRIDE requires logConfiguration");
            }
        }
        TagProblems("spec.tags", spec.Tags, problems);
        if (provider is not null)
        {
            TagProblems($"AWSProvider {Providers.ProviderResolver.ProviderKey(obj)} spec.defaultTags", provider.Spec.DefaultTags, problems);
            var merged = (provider.Spec.DefaultTags ?? []).Keys.Union((spec.Tags ?? []).Keys, StringComparer.Ordinal).Count() + 1;
            if (merged > MaxTags)
            {
                problems.Add($"spec.tags: {merged} tags after merging the provider's defaultTags and the ownership tag; ECS allows at most {MaxTags}");
            }
        }
        return problems;
    }

    /// <summary>ECS's tag rules, as the CRDs state them: key 1-128 characters, value at most 256, both of letters,
    /// digits, spaces and <c>+ - = . _ : / @</c>, and no key starting with "aws:" in any case.</summary>
    private static void TagProblems(string field, IDictionary<string, string>? tags, List<string> problems)
    {
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            if (key.Length is < 1 or > MaxTagKeyLength)
            {
                problems.Add($"{field}: key \"{Shorten(key)}\" must be 1 to {MaxTagKeyLength} characters long");
            }
            if (!TagPattern().IsMatch(key))
            {
                problems.Add($"{field}: key \"{Shorten(key)}\" may contain only letters, digits, spaces and + - = . _ : / @");
            }
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{field}: key \"{Shorten(key)}\" must not start with \"aws:\" (in any case)");
            }
            if ((value ?? "").Length > MaxTagValueLength)
            {
                problems.Add($"{field}: the value of \"{Shorten(key)}\" is longer than {MaxTagValueLength} characters");
            }
            if (!TagPattern().IsMatch(value ?? ""))
            {
                problems.Add($"{field}: the value of \"{Shorten(key)}\" may contain only letters, digits, spaces and + - = . _ : / @");
            }
        }
    }

    private static string Shorten(string key) => key.Length <= MaxTagKeyLength ? key : key[..MaxTagKeyLength] + "…";

    /// <summary>True when ECS accepts the name (1–255 letters, digits, hyphens, underscores).</summary>
    public static bool IsValidClusterName(string? name) => ClusterNamePattern().IsMatch(name ?? "");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex ClusterNamePattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+@-]*$")]
    private static partial Regex TagPattern();
}
