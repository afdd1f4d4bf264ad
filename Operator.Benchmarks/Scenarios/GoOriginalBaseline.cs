using Microsoft.AspNetCore.Builder;
using Operator.Core.Aws.Ecs;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Benchmark-only composition with the Go original's per-object resync: <see cref="NaiveBaseline"/> (every object
/// reconciled every period, status written every pass) plus, per reconcile of a live cluster, the second
/// DescribeClusters and the unconditional TagResource the Go operator issued: 2 DescribeClusters + 1 TagResource per
/// object per resync. The extra calls go through a client of the benchmark's own account (<see cref="ScenarioStack"/>),
/// so they reach the same emulator and are counted with the rest; production code is untouched.
/// </summary>
internal static class GoOriginalBaseline
{
    public static Action<WebApplicationBuilder, OperatorOptions> Compose(ScenarioStack stack)
    {
        var ecs = stack.NewEcsClient();
        return (builder, options) => NaiveBaseline.Compose(builder, options, (inner, store) => new GoPatternReconciler(inner, store, ecs));
    }

    /// <summary>After the inner reconcile (one DescribeClusters), one more DescribeClusters and one TagResource of the spec's tags.</summary>
    private sealed class GoPatternReconciler(IReconciler inner, ObjectStore<ECSCluster> clusters, IEcsClient ecs) : IReconciler
    {
        public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct)
        {
            var result = await inner.ReconcileAsync(request, ct).ConfigureAwait(false);
            if (clusters.Get(request.Key) is { Metadata.DeletionTimestamp: null, Status.ClusterARN: { } arn } obj)
            {
                await ecs.DescribeClustersAsync(new Ecs.DescribeClustersRequest { Clusters = [obj.Spec.ClusterName] }, ct).ConfigureAwait(false);
                await ecs.TagResourceAsync(new Ecs.TagResourceRequest
                {
                    ResourceArn = arn, Tags = [.. (obj.Spec.Tags ?? []).Select(t => new Ecs.Tag(t.Key, t.Value))],
                }, ct).ConfigureAwait(false);
            }
            return result;
        }
    }
}
