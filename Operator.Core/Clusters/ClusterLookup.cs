using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws.Ecs;
using Operator.Core.Informers;
using Operator.Core.Providers;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// A coalescing <see cref="IClusterLookup"/> (dataloader style), one loader per ECS client (a client is one provider's
/// credentials in one account and region, so batches never mix what different credentials may see). Guarantees:
/// <list type="bullet">
/// <item>Callers that ask while a DescribeClusters of their client is in flight, or within
/// <see cref="ClusterLookupOptions.Window"/> of the first one, share the next call: at most one call per client is in
/// flight, with up to <see cref="ClusterLookupOptions.BatchSize"/> distinct names; callers of the same name share one
/// entry.</item>
/// <item>Every answer is exact per name: the cluster whose name or ARN is the name asked for, or null when ECS
/// reports it MISSING, INACTIVE or leaves it out; a failure ECS reports for that name alone (any reason but MISSING)
/// fails that name alone; a failed call fails every name of that call, each caller with the same exception.</item>
/// <item>A caller's cancellation ends only its own wait. A call is cancelled only once every caller of every name in
/// it has stopped waiting; names nobody waits for any more are left out of the next call.</item>
/// <item>Prefetch: free room in a call is filled with the caller's <c>upcoming</c> names. Of those, only a "not found"
/// answer is kept, for <see cref="ClusterLookupOptions.PrefetchTtl"/>, and it answers the first create lookup
/// (<see cref="FindAsync"/>) of that name once (then it is gone). Only "not found" is kept because acting on it is safe
/// even when it is stale: it leads to CreateCluster, which answers with the existing cluster if the name was taken
/// meanwhile, and that answer goes through the ownership gate. A found cluster (whose tags decide ownership) is always
/// read by the lookup that acts on it before a create. A deletion's check never takes this answer: acting on a stale
/// "not found" there would finalize the object and leave its cluster in ECS.</item>
/// <item>Deletion read-ahead (<see cref="FindForDeletionAsync"/>): free room is filled with the client's other objects
/// being deleted, and both answers are kept, found or not, for <see cref="ClusterLookupOptions.PrefetchTtl"/>, to
/// answer that object's check before DeleteCluster once: a mass deletion costs one DescribeClusters per 100 objects
/// besides the DeleteClusters. The check then rests on what ECS said at most that long before about an object that
/// already has a cluster recorded (an ownership tag moved to another object by hand in that time is not seen); only
/// deletion lookups take these answers (a "not found" among them may also answer a create lookup, as above).</item>
/// </list>
/// The caller keeps what the reconciler already guarantees: the ownership gate's lock around lookup and create.
/// Loaders are dropped when idle and prefetched answers expire, so memory is bounded by the names in flight or
/// pending plus the upcoming names of the last <see cref="ClusterLookupOptions.PrefetchTtl"/>. Thread-safe.
/// </summary>
internal sealed partial class ClusterLookup(ClusterLookupOptions options, TimeProvider time) : IClusterLookup
{
    private readonly object _gate = new();
    private readonly Dictionary<IEcsClient, Loader> _loaders = new(ReferenceEqualityComparer.Instance);

    /// <summary>DescribeClusters calls sent (for tests and diagnostics).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    private long _calls;
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public Task<Ecs.Cluster?> FindAsync(IEcsClient ecs, string name, Func<IEnumerable<string>>? upcoming, CancellationToken ct) =>
        FindAsync(ecs, name, upcoming, forDeletion: false, ct);

    public Task<Ecs.Cluster?> FindForDeletionAsync(IEcsClient ecs, string name, Func<IEnumerable<string>> deleting, CancellationToken ct) =>
        FindAsync(ecs, name, deleting, forDeletion: true, ct);

    private async Task<Ecs.Cluster?> FindAsync(IEcsClient ecs, string name, Func<IEnumerable<string>>? upcoming, bool forDeletion, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var (kept, entry, loader, start) = Join(ecs, name, upcoming, forDeletion);
        if (entry is null)
        {
            return kept;
        }
        if (start == Start.Window)
        {
            _ = WindowAsync(loader);
        }
        else if (start == Start.Call)
        {
            _ = RunAsync(loader);
        }
        try
        {
            return await entry.Result.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Leave(entry);
            throw;
        }
    }

    /// <summary>What a caller's arrival starts: nothing (a call or a window is under way), the window, or a call now.</summary>
    private enum Start
    {
        None,
        Window,
        Call,
    }

    /// <summary>
    /// Under the lock: a kept answer (then no entry), or the caller's entry for <paramref name="name"/> in the next call
    /// of <paramref name="ecs"/>'s loader, and what the caller must start.
    /// </summary>
    private (Ecs.Cluster? Kept, Entry? Entry, Loader Loader, Start Start) Join(
        IEcsClient ecs, string name, Func<IEnumerable<string>>? upcoming, bool forDeletion)
    {
        lock (_gate)
        {
            Sweep();
            if (!_loaders.TryGetValue(ecs, out var loader))
            {
                loader = new Loader(ecs);
                _loaders[ecs] = loader;
            }
            var now = time.GetUtcNow();
            // Asked for by its own reconcile: not read ahead again for a while (an answer read ahead after this lookup
            // but before the create it leads to would say "not found" about the cluster this caller is creating).
            loader.Asked[name] = now;
            if (forDeletion && loader.TakeReadForDeletion(name, now) is (true, var kept))
            {
                return (kept, null, loader, Start.None);
            }
            if (!forDeletion && loader.TakePrefetched(name, now))
            {
                return (null, null, loader, Start.None);
            }
            if (!loader.Pending.TryGetValue(name, out var entry))
            {
                entry = new Entry(name);
                loader.Pending[name] = entry;
                loader.Order.Enqueue(entry);
            }
            entry.Waiters++;
            if (entry.Upcoming is null && upcoming is not null)
            {
                entry.Upcoming = upcoming;
                entry.KeepFound = forDeletion;
            }
            return (null, entry, loader, Starts(loader));
        }
    }

    /// <summary>Under the lock, after a caller joined <paramref name="loader"/>'s pending names.</summary>
    private Start Starts(Loader loader)
    {
        if (!loader.InFlight && !loader.WindowOpen)
        {
            if (options.Window <= TimeSpan.Zero || loader.Pending.Count >= options.BatchSize)
            {
                loader.InFlight = true;
                return Start.Call;
            }
            loader.WindowOpen = true;
            return Start.Window;
        }
        if (loader.WindowOpen && loader.Pending.Count >= options.BatchSize)
        {
            // Full before the window ends: send now; the window's timer then finds the call in flight.
            loader.WindowOpen = false;
            loader.InFlight = true;
            return Start.Call;
        }
        return Start.None;
    }

    /// <summary>At most once per TTL: forgets expired prefetched answers and idle loaders (e.g. of replaced clients).
    /// Called under the lock.</summary>
    private void Sweep()
    {
        var now = time.GetUtcNow();
        if (now - _lastSweep < options.PrefetchTtl)
        {
            return;
        }
        _lastSweep = now;
        foreach (var loader in _loaders.Values.ToList())
        {
            loader.DropExpired(now, options.PrefetchTtl);
            if (loader.IsIdle)
            {
                _loaders.Remove(loader.Client);
            }
        }
    }

    private void Leave(Entry entry)
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            entry.Waiters--;
            if (entry.Batch is { } batch && entry.Waiters == 0 && batch.Entries.All(e => e.Waiters == 0))
            {
                cancel = batch.Cancel;
            }
        }
        cancel?.Cancel();
    }

    private async Task WindowAsync(Loader loader)
    {
        await Task.Delay(options.Window, time).ConfigureAwait(false);
        lock (_gate)
        {
            if (!loader.WindowOpen)
            {
                return; // sent early because the batch filled up
            }
            loader.WindowOpen = false;
            loader.InFlight = true;
        }
        await RunAsync(loader).ConfigureAwait(false);
    }

    /// <summary>Sends batches for the loader until nothing is pending; the caller has set <c>InFlight</c>.</summary>
    private async Task RunAsync(Loader loader)
    {
        while (true)
        {
            Batch? batch;
            Func<IEnumerable<string>>? upcoming;
            bool keepFound;
            HashSet<string> fresh;
            DateTimeOffset sentAt = default;
            lock (_gate)
            {
                batch = loader.NextBatch(options.BatchSize);
                var source = batch?.Entries.FirstOrDefault(e => e.Upcoming is not null);
                upcoming = source?.Upcoming;
                keepFound = source?.KeepFound == true;
                // Names read ahead recently are not read ahead again: the room goes to names not covered yet. For a
                // create's read-ahead neither are names asked for by their own lookup within the TTL (a "not found"
                // read after that lookup could be about the cluster its caller is creating); objects being deleted
                // are not being created, so a deletion's read-ahead takes them whenever they were last asked for.
                var now = time.GetUtcNow();
                var half = now + options.PrefetchTtl / 2;
                var covered = loader.Prefetched.Where(kv => kv.Value > half).Select(kv => kv.Key)
                    .Concat(loader.ReadForDeletion.Where(kv => kv.Value.Until > half).Select(kv => kv.Key));
                fresh = (keepFound ? covered : covered.Concat(loader.Asked.Where(kv => kv.Value > now - options.PrefetchTtl).Select(kv => kv.Key)))
                    .ToHashSet(StringComparer.Ordinal);
                sentAt = now;
                if (batch is null)
                {
                    loader.InFlight = false;
                    loader.DropExpired(time.GetUtcNow(), options.PrefetchTtl);
                    if (loader.IsIdle)
                    {
                        _loaders.Remove(loader.Client);
                    }
                    return;
                }
            }
            var extra = Extra(upcoming, batch, fresh, options.BatchSize);
            await SendAsync(loader, batch, extra, keepFound, sentAt).ConfigureAwait(false);
        }
    }

    private static List<string> Extra(Func<IEnumerable<string>>? upcoming, Batch batch, HashSet<string> fresh, int size)
    {
        var extra = new List<string>();
        if (upcoming is null || batch.Entries.Count >= size)
        {
            return extra;
        }
        var asked = batch.Entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        try
        {
            foreach (var name in upcoming())
            {
                // A name ECS would reject could fail the whole call, and with it the names actually asked for.
                if (SpecCheck.IsValidClusterName(name) && !fresh.Contains(name) && asked.Add(name))
                {
                    extra.Add(name);
                    if (batch.Entries.Count + extra.Count >= size)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception)
        {
            // Prefetch is an optimisation: a failing source of upcoming names costs only the saving.
            extra.Clear();
        }
        return extra;
    }

    private async Task SendAsync(Loader loader, Batch batch, List<string> extra, bool keepFound, DateTimeOffset sentAt)
    {
        Ecs.DescribeClustersResponse response;
        try
        {
            Interlocked.Increment(ref _calls);
            response = await loader.Client.DescribeClustersAsync(new Ecs.DescribeClustersRequest
            {
                Clusters = [.. batch.Entries.Select(e => e.Name), .. extra],
                Include = Ecs.ClusterField.All,
            }, batch.Cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (var entry in batch.Entries)
            {
                entry.Result.TrySetException(e);
            }
            return;
        }
        foreach (var entry in batch.Entries)
        {
            if (FailureOf(response, entry.Name) is { } failure)
            {
                entry.Result.TrySetException(new ClusterLookupException(entry.Name, failure));
            }
            else
            {
                entry.Result.TrySetResult(Match(response, entry.Name));
            }
        }
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var name in extra)
            {
                // A name asked for while this call was in flight is read by the next call (calls of one client never
                // overlap), so this older answer is not kept for it.
                if (loader.Pending.ContainsKey(name) || (loader.Asked.TryGetValue(name, out var asked) && asked >= sentAt)
                    || FailureOf(response, name) is not null)
                {
                    continue;
                }
                var found = Match(response, name);
                if (found is null)
                {
                    loader.Prefetched[name] = now + options.PrefetchTtl;
                }
                if (keepFound)
                {
                    loader.ReadForDeletion[name] = (now + options.PrefetchTtl, found);
                }
            }
        }
    }

    /// <summary>The live cluster named (or with the ARN) <paramref name="name"/>, or null.</summary>
    internal static Ecs.Cluster? Match(Ecs.DescribeClustersResponse response, string name)
    {
        var cluster = response.Clusters?.FirstOrDefault(c => c.ClusterName == name || c.ClusterArn == name);
        return cluster is null || cluster.Status == Ecs.ClusterStatus.Inactive ? null : cluster;
    }

    /// <summary>A failure ECS reported for this name, other than MISSING (which means "not found").</summary>
    private static Ecs.Failure? FailureOf(Ecs.DescribeClustersResponse response, string name) =>
        response.Failures?.FirstOrDefault(f => f.Reason != "MISSING" && f.Arn is { } arn
            && (arn == name || arn.EndsWith("/" + name, StringComparison.Ordinal)));
}
