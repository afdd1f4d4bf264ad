namespace Operator.Tests.Monitoring;

/// <summary>The shipped monitoring files, read from the repository: the plain rule file, its promtool tests, the dashboard.</summary>
internal static partial class MonitoringRules
{
    public static string Directory => Path.Combine(RepositoryLayout.Root, "monitoring", "prometheus");
    public static string RuleFile => Path.Combine(Directory, "infra-operator.rules.yaml");
    public static string TestFile => Path.Combine(Directory, "infra-operator.rules.test.yaml");
    public static string Dashboard => Path.Combine(RepositoryLayout.Root, "monitoring", "grafana", "infra-operator-dashboard.json");

    public static JsonArray Groups() => YamlJson.ParseAll(File.ReadAllText(RuleFile)).Single()!["groups"]!.AsArray();

    public static IEnumerable<JsonObject> Rules() => Groups().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject());

    public static IEnumerable<JsonObject> Alerts() => Rules().Where(r => r["alert"] is not null);

    public static IEnumerable<JsonObject> Recordings() => Rules().Where(r => r["record"] is not null);

    /// <summary>Every vector selector written <c>metric{labels}</c> in a PromQL expression.</summary>
    public static IEnumerable<string> Selectors(string promql) => Selector().Matches(promql).Select(m => m.Value);

    /// <summary>
    /// Every metric name a PromQL expression reads: the identifiers outside label matchers, ranges and strings that are
    /// neither a function, an aggregation keyword nor a label name of by()/without()/on()/ignoring().
    /// </summary>
    public static IEnumerable<string> MetricNames(string promql)
    {
        var bare = Grouping().Replace(Ranges().Replace(Matchers().Replace(Strings().Replace(promql, "\"\""), "{}"), "[]"), "");
        return Identifier().Matches(bare).Select(m => m.Value).Where(name => !PromQlWords.Contains(name)).Distinct();
    }

    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
        "rate", "irate", "increase", "delta", "idelta", "deriv", "absent", "absent_over_time", "histogram_quantile",
        "min_over_time", "max_over_time", "avg_over_time", "sum_over_time", "count_over_time", "last_over_time", "changes",
        "resets", "clamp_min", "clamp_max", "abs", "vector", "scalar", "time", "and", "or", "unless", "bool", "offset",
        "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}")]
    private static partial Regex Selector();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b")]
    private static partial Regex Identifier();
}
