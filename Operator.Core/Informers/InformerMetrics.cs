using System.Diagnostics.Metrics;

namespace Operator.Core.Informers;

/// <summary>Counters of the informers' list/watch health, tagged by resource.</summary>
internal sealed class InformerMetrics
{
    public const string MeterName = "Operator.Informers";

    public InformerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        Relists = meter.CreateCounter<long>("informer_relists_total", description: "Relists after an expired watch (410).");
        Failures = meter.CreateCounter<long>("informer_watch_failures_total", description: "Failed lists or watches that were retried after a back-off.");
    }

    public Counter<long> Relists { get; }
    public Counter<long> Failures { get; }
}
