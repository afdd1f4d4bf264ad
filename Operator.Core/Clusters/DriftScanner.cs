using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Providers;
using Operator.Core.Runtime;
using Operator.Core.Status;
using Ecs = Operator.Core.Aws.Ecs.Model;

namespace Operator.Core.Clusters;

/// <summary>
/// The steady-state resync of ECSClusters, done in bulk: every period, the clusters of each provider are read with
/// DescribeClusters in batches of up to 100 names, and compared in memory with their spec and status. Only clusters
/// that drifted (spec not applied, missing in AWS, in transition, or a generation not yet reconciled) are queued for
/// a full reconcile; a cluster whose counts or state changed gets a status patch; an unchanged cluster costs nothing
/// but its share of a batch (1/100 of a read call). Runs only on the leader (it is registered as a controller).
/// </summary>
internal sealed class DriftScanner(
    ObjectStore<ECSCluster> clusters,
    ProviderResolver providers,
    IAwsCredentialsCache credentials,
    EcsClientCache ecsClients,
    ObjectPatcher patcher,
    Action<string> enqueue,
    DriftScannerOptions options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<DriftScanner> logger) : IRunnable
{
    /// <summary>The meter of the drift scan's counters; the host must export it (the factory caches one per name).</summary>
    public const string MeterName = "Operator.Clusters";

    private readonly Counter<long> scanned = meters.Create(MeterName).CreateCounter<long>(
        "ecscluster_drift_scanned_total", description: "ECSClusters compared with AWS by the drift scanner.");
    private readonly Counter<long> drifted = meters.Create(MeterName).CreateCounter<long>(
        "ecscluster_drift_detected_total", description: "ECSClusters the drift scanner found out of sync and queued.");

    public string Name => "drift-scanner/ecsclusters";

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                await ScanOnceAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One full scan; returns how many clusters were queued.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken ct)
    {
        var queued = 0;
        var groups = clusters.List()
            .Where(c => c.Metadata.DeletionTimestamp is null)
            .GroupBy(ProviderResolver.ProviderKey);
        foreach (var group in groups)
        {
            var members = new List<ECSCluster>();
            foreach (var obj in group)
            {
                // Not yet reconciled for this generation, or never validated: that is the controller's job anyway.
                if (obj.Status?.ObservedGeneration != obj.Metadata.Generation || obj.Status?.ClusterARN is null)
                {
                    enqueue(ObjectKey.Of(obj));
                    queued++;
                }
                else
                {
                    members.Add(obj);
                }
            }
            if (members.Count == 0)
            {
                continue;
            }
            var resolution = providers.Resolve(members[0]);
            if (!resolution.IsReady)
            {
                continue; // the provider's own controller re-queues its clusters when it becomes ready
            }
            try
            {
                var session = await credentials.GetAsync(resolution.Provider!, ct).ConfigureAwait(false);
                var ecs = ecsClients.Get(group.Key, session, resolution.AccountId!);
                foreach (var batch in members.Chunk(options.BatchSize))
                {
                    queued += await ScanBatchAsync(ecs, resolution.Provider!, batch, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is EcsException or HttpRequestException or ProviderCredentialsException && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Drift scan of the clusters of provider {Provider} failed: {Error}", group.Key, e.Message);
            }
        }
        return queued;
    }

    /// <summary>Why the cluster needs a full reconcile, or null when it is in sync.</summary>
    private static string? DriftReason(ECSCluster obj, AWSProvider provider, Ecs.Cluster? observed)
    {
        if (observed is null || observed.Status == Ecs.ClusterStatus.Inactive)
        {
            return "missing in ECS";
        }
        if (Ownership.Check(obj, observed) != OwnershipState.Ours)
        {
            return "not owned";
        }
        if (ClusterStatusMapper.IsTransitional(observed))
        {
            return $"in transition ({observed.Status}, attachments {observed.AttachmentsStatus})";
        }
        var diff = ClusterDiff.Compute(DesiredCluster.From(obj, provider), observed, specChanged: false);
        if (!diff.IsEmpty)
        {
            return $"{diff.Describe()} differ";
        }
        return obj.Status?.Ready != (observed.Status == Ecs.ClusterStatus.Active) ? $"readiness changed ({observed.Status})" : null;
    }

    private async Task<int> ScanBatchAsync(IEcsClient ecs, AWSProvider provider, ECSCluster[] batch, CancellationToken ct)
    {
        var response = await ecs.DescribeClustersAsync(new Ecs.DescribeClustersRequest
        {
            Clusters = [.. batch.Select(c => c.Spec.ClusterName)],
            Include = Ecs.ClusterField.All,
        }, ct).ConfigureAwait(false);
        var byName = (response.Clusters ?? []).Where(c => c.ClusterName is not null).ToDictionary(c => c.ClusterName!, StringComparer.Ordinal);
        var queued = 0;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var obj in batch)
        {
            scanned.Add(1);
            byName.TryGetValue(obj.Spec.ClusterName, out var observed);
            var reason = DriftReason(obj, provider, observed);
            if (reason is not null)
            {
                logger.LogDebug("Drift on {Namespace}/{Name}: {Reason}; queued", obj.Metadata.NamespaceProperty, obj.Metadata.Name, reason);
                drifted.Add(1);
                enqueue(ObjectKey.Of(obj));
                queued++;
                continue;
            }
            var stale = obj.Status!.LastSyncTime is not { } last || now - last > options.LastSyncRefresh;
            if (ClusterStatusMapper.Differs(obj.Status, observed!) || stale)
            {
                var status = obj.Status with { Conditions = Conditions.Copy(obj.Status.Conditions) };
                ClusterStatusMapper.Apply(status, observed!, now);
                if (stale)
                {
                    status.LastSyncTime = now;
                }
                await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(obj, status, ct).ConfigureAwait(false);
            }
        }
        return queued;
    }
}
