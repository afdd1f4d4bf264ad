using System.Diagnostics.Metrics;
using k8s.Models;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Core.Status;

namespace Operator.Core.Monitoring;

/// <summary>
/// The fleet as the operator's caches hold it, counted at each scrape: <c>ecscluster_objects{ready}</c> and
/// <c>awsprovider_objects{ready}</c>, the number of objects whose Ready condition is <c>True</c>, <c>False</c> or
/// <c>Unknown</c> (no Ready condition yet counts as Unknown). All three series of each exist from start-up, at 0 when
/// empty, and no series carries an object's name: the set of series never changes, so none goes stale (the exporter
/// keeps reporting an observable series it once saw) and cardinality does not grow with the fleet. Every replica
/// reports them from its own informers, so a dashboard or alert aggregates with max(). A scrape costs one pass over
/// each cache, without a lock held on the informers. The host must export <see cref="MeterName"/>.
/// </summary>
internal sealed class FleetMetrics
{
    public const string MeterName = "Operator.Fleet";

    private static readonly string[] States = [Conditions.True, Conditions.False, Conditions.Unknown];

    public FleetMetrics(ObjectStore<ECSCluster> clusters, ObjectStore<AWSProvider> providers, IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("ecscluster_objects", () => Count(clusters.List(), c => c.Status?.Conditions),
            description: "ECSCluster objects by the status of their Ready condition (True, False, Unknown).");
        meter.CreateObservableGauge("awsprovider_objects", () => Count(providers.List(), p => p.Status?.Conditions),
            description: "AWSProvider objects by the status of their Ready condition (True: the credentials authenticate).");
    }

    private static Measurement<int>[] Count<T>(IReadOnlyList<T> objects, Func<T, IList<V1Condition>?> conditions)
    {
        var counts = new int[States.Length];
        foreach (var obj in objects)
        {
            var status = Conditions.Find(conditions(obj), "Ready")?.Status;
            counts[status == Conditions.True ? 0 : status == Conditions.False ? 1 : 2]++;
        }
        return [.. States.Select((s, i) => new Measurement<int>(counts[i], new KeyValuePair<string, object?>("ready", s)))];
    }
}
