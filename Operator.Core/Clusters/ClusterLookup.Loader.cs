using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Informers;
using Operator.Core.Providers;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

internal sealed partial class ClusterLookup
{
    private sealed class Entry(string name)
    {
        public string Name { get; } = name;
        public TaskCompletionSource<Ecs.Cluster?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiters { get; set; }
        public Func<IEnumerable<string>>? Upcoming { get; set; }

        /// <summary>The upcoming names are other objects' deletions: found answers for them are kept too.</summary>
        public bool KeepFound { get; set; }
        public Batch? Batch { get; set; }
    }

    private sealed class Batch(List<Entry> entries)
    {
        public List<Entry> Entries { get; } = entries;
        public CancellationTokenSource Cancel { get; } = new();
    }

    /// <summary>The state of one client; every member is guarded by the lookup's lock.</summary>
    private sealed class Loader(IEcsClient client)
    {
        public IEcsClient Client { get; } = client;
        public Dictionary<string, Entry> Pending { get; } = new(StringComparer.Ordinal);
        public Queue<Entry> Order { get; } = new();
        public Dictionary<string, DateTimeOffset> Prefetched { get; } = new(StringComparer.Ordinal);

        /// <summary>A deletion's read-ahead, found or not, for those objects' own checks before DeleteCluster only.</summary>
        public Dictionary<string, (DateTimeOffset Until, Ecs.Cluster? Cluster)> ReadForDeletion { get; } = new(StringComparer.Ordinal);
        public bool InFlight { get; set; }
        public bool WindowOpen { get; set; }

        /// <summary>When each name was last asked for by a caller (kept for the TTL).</summary>
        public Dictionary<string, DateTimeOffset> Asked { get; } = new(StringComparer.Ordinal);

        public bool IsIdle => Pending.Count == 0 && !InFlight && !WindowOpen && Prefetched.Count == 0 && ReadForDeletion.Count == 0 && Asked.Count == 0;

        public bool TakePrefetched(string name, DateTimeOffset now) =>
            Prefetched.Remove(name, out var until) && until > now;

        /// <summary>A deletion read-ahead's answer for <paramref name="name"/> (taken once), or false when there is none.</summary>
        public (bool Kept, Ecs.Cluster? Cluster) TakeReadForDeletion(string name, DateTimeOffset now) =>
            ReadForDeletion.Remove(name, out var kept) && kept.Until > now ? (true, kept.Cluster) : (false, null);

        public void DropExpired(DateTimeOffset now, TimeSpan ttl)
        {
            foreach (var name in Asked.Where(kv => kv.Value <= now - ttl).Select(kv => kv.Key).ToList())
            {
                Asked.Remove(name);
            }
            foreach (var name in Prefetched.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList())
            {
                Prefetched.Remove(name);
            }
            foreach (var name in ReadForDeletion.Where(kv => kv.Value.Until <= now).Select(kv => kv.Key).ToList())
            {
                ReadForDeletion.Remove(name);
            }
        }

        /// <summary>The next names in arrival order that someone still waits for, or null when none.</summary>
        public Batch? NextBatch(int size)
        {
            var taken = new List<Entry>();
            while (taken.Count < size && Order.TryDequeue(out var entry))
            {
                Pending.Remove(entry.Name);
                if (entry.Waiters > 0)
                {
                    taken.Add(entry);
                }
                else
                {
                    entry.Result.TrySetCanceled();
                }
            }
            if (taken.Count == 0)
            {
                return null;
            }
            var batch = new Batch(taken);
            foreach (var entry in taken)
            {
                entry.Batch = batch;
            }
            return batch;
        }
    }
}
