using k8s;
using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Core.Clusters;

/// <summary>
/// What the ownership decision needs beyond the cluster itself. <see cref="LockAsync"/> serialises the
/// look-then-create/tag sequence of all objects naming one ECS cluster (account, region, name) in this process, so two
/// objects naming the same clusterName cannot both see it free and both claim it; ECS has no conditional write, so
/// the gate after CreateCluster still decides when another process raced us. <see cref="OwnerIsGoneAsync"/> asks the
/// API server (not the cache, which may lag) whether the object an ownership tag names still exists.
/// A name's lock exists only while someone holds or waits for it (reference-counted), so the gate's memory follows
/// the reconciles in flight, not every cluster name ever seen.
/// </summary>
internal sealed class OwnershipGate(IKubernetes client)
{
    private readonly Dictionary<string, NameLock> _locks = new(StringComparer.Ordinal);

    /// <summary>Names whose lock is held or awaited now (for tests: returns to 0 when no reconcile is in the gate).</summary>
    internal int TrackedNames
    {
        get
        {
            lock (_locks)
            {
                return _locks.Count;
            }
        }
    }

    /// <summary>Held until disposed; the caller must dispose it on every path.</summary>
    public async Task<IDisposable> LockAsync(string accountId, string region, string clusterName, CancellationToken ct)
    {
        var key = $"{accountId}/{region}/{clusterName}";
        NameLock entry;
        lock (_locks)
        {
            if (!_locks.TryGetValue(key, out entry!))
            {
                entry = new NameLock();
                _locks[key] = entry;
            }
            entry.Users++;
        }
        try
        {
            await entry.Semaphore.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }
        return new Releaser(this, key, entry);
    }

    private void Leave(string key, NameLock entry)
    {
        lock (_locks)
        {
            if (--entry.Users == 0)
            {
                _locks.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    /// <summary>True only when a GET of the ECSCluster the tag value names answers 404 Not Found.</summary>
    public async Task<bool> OwnerIsGoneAsync(string? ownerTag, CancellationToken ct)
    {
        if (Ownership.ParseOwner(ownerTag) is not var (ns, name))
        {
            return false;
        }
        try
        {
            await client.CustomObjects.GetNamespacedCustomObjectAsync(
                ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name, cancellationToken: ct).ConfigureAwait(false);
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return true;
        }
    }

    /// <summary>One name's lock and how many holders and waiters use it; guarded by the gate's dictionary lock.</summary>
    private sealed class NameLock
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Releaser(OwnershipGate gate, string key, NameLock entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                // Release before leaving: a waiter holds a reference, so the semaphore is not disposed under it.
                entry.Semaphore.Release();
                gate.Leave(key, entry);
            }
        }
    }
}
