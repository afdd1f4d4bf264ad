using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The informer alone: managed bytes retained per cached ECSCluster, measured as the live heap (after a full GC) with a
/// freshly synced ECSCluster informer minus the live heap before it started, divided by the number of cached objects
/// (the second of two runs, so that the first run's warm-up and earlier garbage do not count).
/// Everything else in the process (emulators, the stopped operator) is the same before and after.
/// </summary>
internal static class InformerMemory
{
    public static async Task<(long Bytes, int Objects)> MeasureAsync(IKubernetes client)
    {
        // The first run warms up (JIT, connection pool) and lets whatever was torn down before be collected.
        await MeasureOnceAsync(client);
        return await MeasureOnceAsync(client);
    }

    private static async Task<(long Bytes, int Objects)> MeasureOnceAsync(IKubernetes client)
    {
        using var meters = new SimpleMeterFactory();
        var before = ProcessMemory.ManagedAfterFullGc();
        var informer = new Informer<ECSCluster>(new RawApiClient(client), new InformerOptions { ResyncPeriod = TimeSpan.Zero },
            TimeProvider.System, NullLoggerFactory.Instance, new InformerMetrics(meters));
        using var cts = new CancellationTokenSource();
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(CancellationToken.None);
        var after = ProcessMemory.ManagedAfterFullGc();
        var count = informer.Store.Count;
        await cts.CancelAsync();
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
        }
        GC.KeepAlive(informer);
        return (after - before, count);
    }

    private sealed class SimpleMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> created = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            created.Add(meter);
            return meter;
        }

        public void Dispose() => created.ForEach(m => m.Dispose());
    }
}
