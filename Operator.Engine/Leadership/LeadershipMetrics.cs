using System.Diagnostics.Metrics;

namespace Operator.Core.Leadership;

/// <summary>
/// client-go's <c>leader_election_master_status{name}</c>: 1 while this replica does the leader's work (it holds the
/// Lease, or leader election is off and it is the only worker), 0 while it stands by. Read at each scrape from
/// <c>isLeader</c>, so it is never stale; the series exists from start-up. The host must export
/// <see cref="MeterName"/>.
/// </summary>
internal static class LeadershipMetrics
{
    public const string MeterName = "Operator.Leadership";

    public static void Observe(IMeterFactory meters, string leaseName, Func<bool> isLeader) =>
        meters.Create(MeterName).CreateObservableGauge("leader_election_master_status",
            () => new Measurement<int>(isLeader() ? 1 : 0, new KeyValuePair<string, object?>("name", leaseName)),
            description: "1 while this replica is the leader (does the reconciling), 0 while it stands by.");
}
