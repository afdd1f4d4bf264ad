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

    /// <summary>
    /// Where the bytes of one cached object go: the live heap of <paramref name="copies"/> deserialized copies of
    /// <paramref name="sample"/>, whole and with parts removed, per copy; and the JSON size of each variant.
    /// </summary>
    public static IReadOnlyList<(string Variant, long JsonBytes, long HeapBytes)> Breakdown(ECSCluster sample, int copies)
    {
        var json = KubernetesJson.Serialize(sample);
        var variants = new List<(string, string)> { ("whole object", json) };
        var noAnnotation = KubernetesJson.Deserialize<ECSCluster>(json);
        noAnnotation.Metadata.Annotations = null;
        variants.Add(("without annotations", KubernetesJson.Serialize(noAnnotation)));
        var noConditions = KubernetesJson.Deserialize<ECSCluster>(KubernetesJson.Serialize(noAnnotation));
        noConditions.Status!.Conditions = null;
        variants.Add(("also without status.conditions", KubernetesJson.Serialize(noConditions)));
        var noStatus = KubernetesJson.Deserialize<ECSCluster>(KubernetesJson.Serialize(noConditions));
        noStatus.Status = null;
        variants.Add(("also without status", KubernetesJson.Serialize(noStatus)));
        var result = new List<(string, long, long)>();
        foreach (var (name, text) in variants)
        {
            result.Add((name, System.Text.Encoding.UTF8.GetByteCount(text), HeapPerCopy(text, copies)));
        }
        return result;
    }

    // Not inlined, so that the copies are unreachable once it returns (even in a Debug build).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long HeapPerCopy(string json, int copies)
    {
        var before = ProcessMemory.ManagedAfterFullGc();
        var list = new ECSCluster[copies];
        for (var i = 0; i < copies; i++)
        {
            list[i] = KubernetesJson.Deserialize<ECSCluster>(json);
        }
        var after = ProcessMemory.ManagedAfterFullGc();
        GC.KeepAlive(list);
        return (after - before - (copies * IntPtr.Size)) / copies;
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
