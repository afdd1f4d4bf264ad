using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// The smallest set of ECS calls that turns the observed cluster into the desired one. Every comparison is
/// order-insensitive and treats an absent value as AWS's default (weight and base 0, encryption off), so that a
/// cluster in sync yields <see cref="IsEmpty"/> and costs no write call.
/// </summary>
internal sealed record ClusterDiff(
    Ecs.UpdateClusterRequest? Update,
    Ecs.PutClusterCapacityProvidersRequest? CapacityProviders,
    IReadOnlyList<Ecs.Tag> TagsToSet,
    IReadOnlyList<string> TagKeysToRemove)
{
    public bool IsEmpty => Update is null && CapacityProviders is null && TagsToSet.Count == 0 && TagKeysToRemove.Count == 0;

    /// <summary>What differs, for conditions and events: e.g. "settings, tags".</summary>
    public string Describe() => string.Join(", ", new[]
    {
        Update?.Settings is not null ? "settings" : null,
        Update?.Configuration is not null ? "configuration" : null,
        Update?.ServiceConnectDefaults is not null ? "serviceConnectDefaults" : null,
        CapacityProviders is not null ? "capacity providers" : null,
        TagsToSet.Count + TagKeysToRemove.Count > 0 ? "tags" : null,
    }.Where(s => s is not null));

    /// <param name="specChanged">The spec changed since the last successful reconcile: values AWS rewrites (a
    /// Service Connect namespace name becomes its ARN) are re-sent only then.</param>
    public static ClusterDiff Compute(DesiredCluster desired, Ecs.Cluster observed, bool specChanged)
    {
        var arn = observed.ClusterArn ?? desired.Name;

        var settings = desired.Settings is { } wantSettings && !SettingsMatch(wantSettings, observed.Settings) ? wantSettings : null;
        var configuration = desired.Configuration is { } wantConfig && !ConfigurationMatches(wantConfig, observed.Configuration) ? wantConfig : null;
        var serviceConnect = desired.ServiceConnectNamespace is { } wantNs
            && !ServiceConnectMatches(wantNs, observed.ServiceConnectDefaults?.Namespace, specChanged)
            ? new Ecs.ClusterServiceConnectDefaults(wantNs) : null;
        var update = settings is null && configuration is null && serviceConnect is null
            ? null
            : new Ecs.UpdateClusterRequest { Cluster = arn, Settings = settings, Configuration = configuration, ServiceConnectDefaults = serviceConnect };

        return new ClusterDiff(update, CapacityProviderChange(desired, observed, arn), TagChanges(desired, observed), TagRemovals(desired, observed));
    }

    private static bool SettingsMatch(IReadOnlyList<Ecs.ClusterSetting> want, IReadOnlyList<Ecs.ClusterSetting>? have)
    {
        var observed = (have ?? []).ToDictionary(s => s.Name, s => s.Value, StringComparer.Ordinal);
        return want.All(s => observed.TryGetValue(s.Name, out var v) && v == s.Value);
    }

    private static bool ConfigurationMatches(Ecs.ClusterConfiguration want, Ecs.ClusterConfiguration? have)
    {
        var w = want.ExecuteCommandConfiguration;
        var h = have?.ExecuteCommandConfiguration;
        if (w is null)
        {
            return true;
        }
        var wl = w.LogConfiguration;
        var hl = h?.LogConfiguration;
        return Same(w.KmsKeyId, h?.KmsKeyId)
            && (w.Logging ?? "DEFAULT") == (h?.Logging ?? "DEFAULT")
            && Same(wl?.CloudWatchLogGroupName, hl?.CloudWatchLogGroupName)
            && (wl?.CloudWatchEncryptionEnabled ?? false) == (hl?.CloudWatchEncryptionEnabled ?? false)
            && Same(wl?.S3BucketName, hl?.S3BucketName)
            && (wl?.S3EncryptionEnabled ?? false) == (hl?.S3EncryptionEnabled ?? false)
            && Same(wl?.S3KeyPrefix, hl?.S3KeyPrefix);
    }

    private static bool ServiceConnectMatches(string want, string? have, bool specChanged)
    {
        if (have == want || (want.Length == 0 && string.IsNullOrEmpty(have)))
        {
            return true; // "" asks for no Service Connect defaults
        }
        // AWS answers with the namespace's ARN when given its name: a name cannot be compared with an ARN, so it
        // is re-sent only when the spec changed (an idempotent call), never on every drift scan.
        var wantIsArn = want.StartsWith("arn:", StringComparison.Ordinal);
        var haveIsArn = have?.StartsWith("arn:", StringComparison.Ordinal) ?? false;
        return !wantIsArn && haveIsArn && !specChanged;
    }

    private static Ecs.PutClusterCapacityProvidersRequest? CapacityProviderChange(DesiredCluster desired, Ecs.Cluster observed, string arn)
    {
        if (desired.CapacityProviders is null && desired.Strategy is null)
        {
            return null;
        }
        var haveProviders = observed.CapacityProviders ?? [];
        var haveStrategy = observed.DefaultCapacityProviderStrategy ?? [];
        var providers = desired.CapacityProviders ?? haveProviders;
        // Without a desired strategy, keep the observed one minus providers that are being removed (AWS refuses a
        // strategy naming a provider that is not associated).
        var strategy = desired.Strategy ?? [.. haveStrategy.Where(s => providers.Contains(s.CapacityProvider))];
        var sameProviders = providers.ToHashSet(StringComparer.Ordinal).SetEquals(haveProviders);
        var sameStrategy = Normalise(strategy).SetEquals(Normalise(haveStrategy));
        return sameProviders && sameStrategy
            ? null
            : new Ecs.PutClusterCapacityProvidersRequest { Cluster = arn, CapacityProviders = providers, DefaultCapacityProviderStrategy = strategy };
    }

    private static HashSet<(string, int, int)> Normalise(IEnumerable<Ecs.CapacityProviderStrategyItem> items) =>
        [.. items.Select(i => (i.CapacityProvider, i.Weight ?? 0, i.Base ?? 0))];

    private static List<Ecs.Tag> TagChanges(DesiredCluster desired, Ecs.Cluster observed)
    {
        var have = (observed.Tags ?? []).ToDictionary(t => t.Key, t => t.Value ?? "", StringComparer.Ordinal);
        return [.. desired.Tags
            .Where(t => !have.TryGetValue(t.Key, out var v) || v != t.Value)
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new Ecs.Tag(t.Key, t.Value))];
    }

    private static List<string> TagRemovals(DesiredCluster desired, Ecs.Cluster observed) =>
        [.. (observed.Tags ?? [])
            .Select(t => t.Key)
            .Where(k => !desired.Tags.ContainsKey(k) && !k.StartsWith("aws:", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    private static bool Same(string? a, string? b) => (a ?? "") == (b ?? "");
}
