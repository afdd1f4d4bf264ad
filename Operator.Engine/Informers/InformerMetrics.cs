using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Operator.Core.Informers;

/// <summary>
/// Counters of the informers' list/watch health, tagged by resource. Every informer's series exist from its
/// construction, at 0 (as controller-runtime pre-creates its series), so dashboards and <c>absent()</c> alerts work
/// before the first failure; <c>informer_synced{resource}</c> is 1 once the informer's first list succeeded;
/// <c>informer_watch_down_seconds{resource}</c> is how long its watch has been failing (0 while it watches).
/// </summary>
internal sealed class InformerMetrics
{
    public const string MeterName = "Operator.Informers";

    private readonly ConcurrentDictionary<string, Func<bool>> _synced = new();
    private readonly ConcurrentDictionary<string, Func<TimeSpan>> _down = new();

    public InformerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        Relists = meter.CreateCounter<long>("informer_relists_total", description: "Relists after an expired watch (410).");
        Failures = meter.CreateCounter<long>("informer_watch_failures_total", description: "Failed lists or watches that were retried after a back-off.");
        ListDenied = meter.CreateCounter<long>("informer_list_denied_total",
            description: "Lists refused with 403 (RBAC) or 404 (CRD missing) before the informer's first sync.");
        meter.CreateObservableGauge("informer_synced",
            () => _synced.Select(kv => new Measurement<int>(kv.Value() ? 1 : 0, new KeyValuePair<string, object?>("resource", kv.Key))),
            description: "1 once the informer's first list succeeded; controllers that read it start only then.");
        meter.CreateObservableGauge("informer_watch_down_seconds",
            () => _down.Select(kv => new Measurement<double>(kv.Value().TotalSeconds, new KeyValuePair<string, object?>("resource", kv.Key))),
            unit: "s", description: "How long the informer's watch has been failing without a watch open; 0 while it watches.");
    }

    public Counter<long> Relists { get; }
    public Counter<long> Failures { get; }
    public Counter<long> ListDenied { get; }

    /// <summary>Pre-creates the resource's series at 0 and reports its sync state.</summary>
    public void Track(string resource, Func<bool> hasSynced, Func<TimeSpan>? downFor = null)
    {
        _down[resource] = downFor ?? (() => TimeSpan.Zero);
        var tag = new KeyValuePair<string, object?>("resource", resource);
        Relists.Add(0, tag);
        Failures.Add(0, tag);
        _synced[resource] = hasSynced;
    }
}
