using System.Text.RegularExpressions;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Clusters;

/// <summary>
/// The reconciler's own check of an ECSCluster spec, before any AWS call. It repeats the CRD's rules (an API server
/// without CEL, or an object stored before the CRD was tightened, must not reach AWS with them) and adds what the
/// schema cannot see: the tag count after the provider's defaultTags and the ownership tag are merged in, and the
/// provider's defaultTags themselves (a provider stored before its CRD was tightened), which become this cluster's tags.
/// The ownership tag fits by construction (<see cref="Ownership.OwnerValue"/>), and may not be set by the spec or the
/// provider's defaultTags (the operator's value would silently win, while Synced said the spec was applied).
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
        foreach (var (name, i) in (spec.CapacityProviders ?? []).Select((n, i) => (n, i)))
        {
            if (!ClusterNamePattern().IsMatch(name ?? ""))
            {
                problems.Add($"spec.capacityProviders[{i}]: {CapacityProviderRule}");
            }
        }
        StrategyProblems(spec, problems);
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
            ExecProblems(exec, problems);
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

    /// <summary>The CRD's rules for spec.defaultCapacityProviderStrategy.</summary>
    private static void StrategyProblems(ECSClusterSpec spec, List<string> problems)
    {
        if (spec.DefaultCapacityProviderStrategy is not { } strategy)
        {
            return;
        }
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
            if (!ClusterNamePattern().IsMatch(item.CapacityProvider ?? ""))
            {
                problems.Add($"spec.defaultCapacityProviderStrategy[{i}].capacityProvider: {CapacityProviderRule}");
            }
            else if (spec.CapacityProviders is { } listed && !listed.Contains(item.CapacityProvider!))
            {
                problems.Add($"spec.defaultCapacityProviderStrategy[{i}].capacityProvider: \"{item.CapacityProvider}\" is not listed in spec.capacityProviders");
            }
        }
    }

    private const string CapacityProviderRule = "must be 1-255 letters, digits, hyphens or underscores (ECS's capacity provider names)";
    private const string Exec = "spec.configuration.executeCommandConfiguration";

    /// <summary>The CRD's rules for ECS Exec's KMS key and log destinations (they go to AWS as they are).</summary>
    private static void ExecProblems(ExecuteCommandConfiguration exec, List<string> problems)
    {
        if (exec.KmsKeyId is { } kms && !KmsKeyPattern().IsMatch(kms))
        {
            problems.Add($"{Exec}.kmsKeyId: must be a KMS key ID, a key ARN, an alias name (alias/<name>) or an alias ARN");
        }
        if (exec.LogConfiguration is not { } log)
        {
            return;
        }
        if (log.CloudWatchLogGroupName is null && log.S3BucketName is null)
        {
            problems.Add($"{Exec}.logConfiguration: must name where the logs go: cloudWatchLogGroupName or s3BucketName");
        }
        if (log.CloudWatchLogGroupName is { } group && !LogGroupPattern().IsMatch(group))
        {
            problems.Add($"{Exec}.logConfiguration.cloudWatchLogGroupName: must be 1-512 letters, digits and . - _ / #");
        }
        if (log.S3BucketName is { } bucket && S3BucketProblem(bucket) is { } why)
        {
            problems.Add($"{Exec}.logConfiguration.s3BucketName: {why}");
        }
        if (log.S3KeyPrefix is { } prefix && (prefix.Length > 1024 || prefix.Any(char.IsControl)))
        {
            problems.Add($"{Exec}.logConfiguration.s3KeyPrefix: must be at most 1024 characters, without control characters");
        }
    }

    /// <summary>S3's bucket naming rules, as the CRD states them; null when <paramref name="name"/> follows them.</summary>
    internal static string? S3BucketProblem(string name) =>
        !S3BucketPattern().IsMatch(name) ? "must be 3-63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit"
        : name.Contains("..", StringComparison.Ordinal) ? "must not contain two adjacent periods"
        : S3IpAddress().IsMatch(name) ? "must not be formatted as an IP address"
        : S3ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) || S3ReservedSuffixes.Any(x => name.EndsWith(x, StringComparison.Ordinal))
            ? "must not use a prefix or suffix that S3 reserves"
        : null;

    private static readonly string[] S3ReservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
    private static readonly string[] S3ReservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

    /// <summary>ECS's tag rules, as the CRDs state them: key 1-128 characters, value at most 256, both of letters,
    /// digits, spaces and <c>+ - = . _ : / @</c>, no key starting with "aws:" in any case, and not the operator's own
    /// ownership tag (<see cref="Ownership.TagKey"/>), which the operator sets and a spec must not override.</summary>
    private static void TagProblems(string field, IDictionary<string, string>? tags, List<string> problems)
    {
        if (tags?.ContainsKey(Ownership.TagKey) == true)
        {
            problems.Add($"{field}: the key {Ownership.TagKey} is the operator's ownership tag; it cannot be set in the spec");
        }
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

    [GeneratedRegex("^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]{1,250}|arn:aws(-[a-z]+)*:kms:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:(key/[A-Za-z0-9-]{1,128}|alias/[A-Za-z0-9/_-]{1,250}))$")]
    private static partial Regex KmsKeyPattern();

    [GeneratedRegex("^[.\\-_/#A-Za-z0-9]{1,512}$")]
    private static partial Regex LogGroupPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex S3BucketPattern();

    [GeneratedRegex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$")]
    private static partial Regex S3IpAddress();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+@-]*$")]
    private static partial Regex TagPattern();
}
