using System.Collections.Concurrent;
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
/// </summary>
internal sealed class OwnershipGate(IKubernetes client)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    /// <summary>Held until disposed; the caller must dispose it on every path.</summary>
    public async Task<IDisposable> LockAsync(string accountId, string region, string clusterName, CancellationToken ct)
    {
        var semaphore = locks.GetOrAdd($"{accountId}/{region}/{clusterName}", _ => new SemaphoreSlim(1, 1));
        await semaphore.WaitAsync(ct).ConfigureAwait(false);
        return new Releaser(semaphore);
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

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
