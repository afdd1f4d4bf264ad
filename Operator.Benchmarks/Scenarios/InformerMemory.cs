using Operator.Core.Providers;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The informer's cache alone: managed bytes per cached ECSCluster. The objects are LISTed from the API, kept as JSON
/// text, and then turned into what the informer caches (deserialized as the reflector does, with its string pool, trimmed by the informer's
/// transform, upserted into an <see cref="ObjectStore{T}"/> with the operator's by-provider index); the live heap
/// (after a full GC) with that store minus the live heap before it, divided by the number of objects. The JSON texts are
/// alive in both figures, and nothing else (emulators, HTTP buffers) is counted.
/// </summary>
internal static class InformerMemory
{
    public static async Task<(long Bytes, int Objects)> MeasureAsync(IKubernetes client)
    {
        var texts = (await ScenarioRunner.ListAllAsync(client)).Select(o => EcsOperatorModule.Json.Serialize(o)).ToArray();
        Fill(texts); // warm-up: JIT and first-use statics do not count
        // Three rounds: the stack stopped just before may still release what it held during the first, which would
        // shrink that round's growth. The store's size is what it holds alive: the heap with it minus the heap once it
        // is dropped; the last round's is reported, each round's growth and release printed as a cross-check.
        var (count, bytes) = (0, 0L);
        for (var round = 1; round <= 3; round++)
        {
            var before = ProcessMemory.ManagedAfterFullGc();
            (count, var after) = FillAndMeasure(texts);
            var released = ProcessMemory.ManagedAfterFullGc();
            bytes = after - released;
            Console.Error.WriteLine($"  [memory] round {round}: heap growth {after - before:N0} B, freed when the store is dropped {bytes:N0} B ({count} objects)");
        }
        GC.KeepAlive(texts);
        return (bytes, count);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (int Count, long HeapWithStore) FillAndMeasure(string[] texts)
    {
        var store = Fill(texts);
        var heap = ProcessMemory.ManagedAfterFullGc();
        GC.KeepAlive(store);
        return (store.Count, heap);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ObjectStore<ECSCluster> Fill(string[] texts)
    {
        var store = new ObjectStore<ECSCluster>();
        store.AddIndex(ProviderReconciler.ClustersByProviderIndex, c => [ProviderResolver.ProviderKey(c)]);
        var json = KubeJson.TypeInfo<ECSCluster>(Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json));
        foreach (var text in texts)
        {
            store.Upsert(Informer<ECSCluster>.TrimForCache(System.Text.Json.JsonSerializer.Deserialize(text, json)!));
        }
        return store;
    }

    /// <summary>
    /// Where the bytes of one cached object go: the live heap of <paramref name="copies"/> deserialized copies of
    /// <paramref name="sample"/>, whole and with parts removed, per copy; and the JSON size of each variant.
    /// </summary>
    public static IReadOnlyList<(string Variant, long JsonBytes, long HeapBytes)> Breakdown(ECSCluster sample, int copies)
    {
        var json = EcsOperatorModule.Json.Serialize(sample);
        var variants = new List<(string, string)> { ("whole object", json) };
        var noAnnotation = EcsOperatorModule.Json.Deserialize<ECSCluster>(json);
        noAnnotation.Metadata.Annotations = null;
        variants.Add(("without annotations", EcsOperatorModule.Json.Serialize(noAnnotation)));
        var noConditions = EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(noAnnotation));
        noConditions.Status!.Conditions = null;
        variants.Add(("also without status.conditions", EcsOperatorModule.Json.Serialize(noConditions)));
        var noStatus = EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(noConditions));
        noStatus.Status = null;
        variants.Add(("also without status", EcsOperatorModule.Json.Serialize(noStatus)));
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
            list[i] = EcsOperatorModule.Json.Deserialize<ECSCluster>(json);
        }
        var after = ProcessMemory.ManagedAfterFullGc();
        GC.KeepAlive(list);
        return (after - before - (copies * IntPtr.Size)) / copies;
    }
}
