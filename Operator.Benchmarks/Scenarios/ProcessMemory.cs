namespace Operator.Benchmarks.Scenarios;

/// <summary>Resident set size of this process (now and peak, from /proc/self/status where available) and the managed heap.</summary>
internal static class ProcessMemory
{
    /// <summary>VmHWM: the peak resident set size in bytes since the process started.</summary>
    public static long PeakRss() => ReadProcStatus("VmHWM:") ?? Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>VmRSS: the resident set size in bytes now.</summary>
    public static long Rss() => ReadProcStatus("VmRSS:") ?? Process.GetCurrentProcess().WorkingSet64;

    /// <summary>Live managed bytes after a full blocking collection.</summary>
    public static long ManagedAfterFullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>The managed heap size including fragmentation, as the last GC saw it.</summary>
    public static long HeapSize() => GC.GetGCMemoryInfo().HeapSizeBytes;

    private static long? ReadProcStatus(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
