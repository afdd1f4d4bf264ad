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
/// DescribeClusters in batches of up to 100 distinct names, and compared in memory with their spec and status. Only
/// clusters that drifted (spec not applied, missing in AWS, in transition, not owned, or a generation not yet
/// reconciled) are queued for a full reconcile; a cluster whose counts or state changed gets a status patch; an
/// unchanged cluster costs nothing but its share of a batch (1/100 of a read call). Runs only on the leader (it is
/// registered as a controller).
/// Guarantees: the provider is resolved for each object (an object whose namespace the provider no longer admits,
/// or whose provider would move it to another account or region, is left to the controller and never read through
/// that provider), so one refused object never stops the scan of the others; objects sharing a clusterName under one
/// provider are read once, the owner is compared and the others are queued (the controller reports
/// <c>OwnedByAnotherObject</c>); a failure of one provider, batch or status write (any exception but cancellation)
/// is logged, counted in <c>ecscluster_drift_scan_errors_total</c> and retried next period, and never ends the scan
/// loop. Status patches carry the cached resourceVersion as a precondition: a 409 means a worker wrote meanwhile, and
/// the scanner leaves the object to it (one writer per object at a time). The caller's <c>enqueue</c> must not queue a
/// key that is already queued or being reconciled (the controller's <c>EnqueueBackground</c>), so a scan never causes
/// a second pass over a key already in the pipeline; nor does the scan queue drift for an object whose generation
/// changed (or that is gone) while the scan compared it, since the change's own reconcile compares AWS with the new spec.
/// Initial sync (<see cref="IBulkConfirmation{T}"/>): the controller leaves the objects <see cref="Covers"/> accepts
/// — not being deleted, observedGeneration = generation, a clusterARN recorded, Synced=True — to
/// <see cref="ConfirmAsync"/>, one scan run as soon as the workers start; in that scan an object that cannot be checked
/// (its provider refuses it, or its provider's credentials or batch fail) is queued instead of waiting a period.
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
    ILogger<DriftScanner> logger) : IRunnable, Operator.Core.Controllers.IBulkConfirmation<ECSCluster>
{
    /// <summary>The meter of the drift scan's counters; the host must export it (the factory caches one per name).</summary>
    public const string MeterName = "Operator.Clusters";

    // Every series exists at 0 from start-up, so dashboards and absent() alerts see them before the first scan.
    private readonly Counter<long> _scanned = AtZero(meters.Create(MeterName).CreateCounter<long>(
        "ecscluster_drift_scanned_total", description: "ECSClusters compared with AWS by the drift scanner."));
    private readonly Counter<long> _drifted = AtZero(meters.Create(MeterName).CreateCounter<long>(
        "ecscluster_drift_detected_total", description: "ECSClusters the drift scanner found out of sync and queued."));
    private readonly Counter<long> _errors = AtZero(meters.Create(MeterName).CreateCounter<long>(
        "ecscluster_drift_scan_errors_total", description: "Drift scan steps (a provider's batch or a status write) that failed; retried next period."),
        "step", "credentials", "describe", "status");

    private readonly UnrepairedDrift _unrepaired = new(meters.Create(MeterName));

    public string Name => "drift-scanner/ecsclusters";

    private static Counter<long> AtZero(Counter<long> counter, string? label = null, params string[] values)
    {
        if (label is null)
        {
            counter.Add(0);
        }
        foreach (var value in values)
        {
            counter.Add(0, new KeyValuePair<string, object?>(label!, value));
        }
        return counter;
    }

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

    /// <summary>Converged for its current generation: a reconcile would only re-read what the batch reads.</summary>
    public bool Covers(ECSCluster obj) =>
        obj.Metadata.DeletionTimestamp is null
        && Ownership.ReachedEcs(obj)
        && obj.Status is { ClusterARN: not null } status
        && status.ObservedGeneration == obj.Metadata.Generation
        && Conditions.IsTrue(status.Conditions, ClusterConditions.Synced);

    public async Task ConfirmAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var total = clusters.Count;
        var queued = await ScanOnceAsync(ct, initial: true).ConfigureAwait(false);
        logger.LogInformation("Initial sync: {Total} ECSClusters checked in bulk in {Elapsed}; {Queued} queued for a reconcile",
            total, time.GetElapsedTime(started), queued);
    }

    /// <summary>One full scan; returns how many clusters were queued.</summary>
    public Task<int> ScanOnceAsync(CancellationToken ct) => ScanOnceAsync(ct, initial: false);

    private async Task<int> ScanOnceAsync(CancellationToken ct, bool initial)
    {
        var queued = 0;
        var drifted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in clusters.List().Where(c => c.Metadata.DeletionTimestamp is null).GroupBy(ProviderResolver.ProviderKey))
        {
            var (members, usable, sent) = Select(group, initial);
            queued += sent;
            if (usable is not null)
            {
                queued += await ScanProviderAsync(group.Key, usable, members, drifted, initial, ct).ConfigureAwait(false);
            }
        }
        _unrepaired.Scanned(drifted);
        return queued;
    }

    /// <summary>Of one provider's objects: those the scan compares, the resolution to read them with (null when none
    /// may be read), and how many were queued for the controller instead.</summary>
    private (List<ECSCluster> Members, ProviderResolution? Usable, int Queued) Select(IEnumerable<ECSCluster> group, bool initial)
    {
        var (members, usable, queued) = (new List<ECSCluster>(), (ProviderResolution?)null, 0);
        foreach (var obj in group)
        {
            // Not yet reconciled for this generation, never validated, or a status the operator did not write (no
            // recorded cluster): that is the controller's job anyway.
            if (obj.Status?.ObservedGeneration != obj.Metadata.Generation || obj.Status?.ClusterARN is null || !Ownership.ReachedEcs(obj))
            {
                queued += Enqueue(obj);
                continue;
            }
            // Per object: the provider may admit one namespace and not another. A refused object is the
            // controller's (it reports why, and the provider's controller wakes it on a change).
            var resolution = providers.Resolve(obj);
            if (!resolution.IsReady || ProviderMove.Refusal(obj, resolution) is not null)
            {
                if (initial && Covers(obj))
                {
                    queued += Enqueue(obj); // the controller skipped it: it reports why
                }
                continue;
            }
            usable ??= resolution;
            members.Add(obj);
        }
        return (members, usable, queued);
    }

    /// <summary>Compares one provider's <paramref name="members"/> with ECS in batches; returns how many were queued.</summary>
    private async Task<int> ScanProviderAsync(
        string provider, ProviderResolution usable, List<ECSCluster> members, HashSet<string> drifted, bool initial, CancellationToken ct)
    {
        IEcsClient ecs;
        try
        {
            var session = await credentials.GetAsync(usable.Provider!, ct).ConfigureAwait(false);
            ecs = ecsClients.Get(provider, session, usable.AccountId!);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Failed("credentials", provider, e);
            return initial ? members.Sum(Enqueue) : 0;
        }
        var queued = 0;
        // One name per cluster in the request, even when several objects claim it.
        foreach (var batch in members.GroupBy(c => c.Spec.ClusterName, StringComparer.Ordinal).Chunk(options.BatchSize))
        {
            try
            {
                queued += await ScanBatchAsync(ecs, usable.Provider!, batch, drifted, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Failed("describe", provider, e);
                if (initial)
                {
                    queued += batch.SelectMany(g => g).Sum(Enqueue);
                }
            }
        }
        return queued;
    }

    private int Enqueue(ECSCluster obj)
    {
        enqueue(ObjectKey.Of(obj));
        return 1;
    }

    private void Failed(string step, string provider, Exception e)
    {
        _errors.Add(1, new KeyValuePair<string, object?>("step", step));
        logger.LogWarning("Drift scan of the clusters of provider {Provider} failed ({Step}), retrying next period: {ErrorType}: {Error}",
            provider, step, e.GetType().Name, Text.ExceptionText.SafeMessage(e.Message));
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
        if (Conditions.Find(obj.Status?.Conditions, ClusterConditions.Synced) is { Status: not Conditions.True, Reason: var reason }
            && !WaitsForAPerson.Contains(reason ?? ""))
        {
            // A failure that has healed (a transient error, a permission granted since): only a pass clears its condition.
            return $"Synced is {reason} although the cluster matches the spec";
        }
        return obj.Status?.Ready != (observed.Status == Ecs.ClusterStatus.Active) ? $"readiness changed ({observed.Status})" : null;
    }

    /// <summary>Synced reasons that no reconcile changes until someone edits something: not worth a pass each scan.</summary>
    private static readonly HashSet<string> WaitsForAPerson =
    [
        ClusterConditions.Reasons.InvalidSpec, ClusterConditions.Reasons.AdoptionRequired, ClusterConditions.Reasons.OwnedByAnotherObject,
        ClusterConditions.Reasons.ProviderChangeRefused,
    ];

    private async Task<int> ScanBatchAsync(
        IEcsClient ecs, AWSProvider provider, IGrouping<string, ECSCluster>[] batch, HashSet<string> drifted, CancellationToken ct)
    {
        var response = await ecs.DescribeClustersAsync(new Ecs.DescribeClustersRequest
        {
            Clusters = [.. batch.Select(g => g.Key)],
            Include = Ecs.ClusterField.All,
        }, ct).ConfigureAwait(false);
        var byName = new Dictionary<string, Ecs.Cluster>(StringComparer.Ordinal);
        foreach (var cluster in response.Clusters ?? [])
        {
            if (cluster.ClusterName is { } name)
            {
                byName.TryAdd(name, cluster);
            }
        }
        var queued = 0;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var obj in batch.SelectMany(g => g))
        {
            _scanned.Add(1);
            byName.TryGetValue(obj.Spec.ClusterName, out var observed);
            var reason = DriftReason(obj, provider, observed);
            if (reason is not null)
            {
                if (clusters.Get(ObjectKey.Of(obj)) is not { } current || current.Metadata.Generation != obj.Metadata.Generation)
                {
                    // Changed or gone since this scan listed it: the change's own reconcile (a spec change and a
                    // deletion always queue one) compares AWS with the new spec; this comparison used the old one.
                    continue;
                }
                logger.LogDebug("Drift on {Namespace}/{Name}: {Reason}; queued", obj.Metadata.NamespaceProperty, obj.Metadata.Name, reason);
                _drifted.Add(1);
                drifted.Add(ObjectKey.Of(obj));
                enqueue(ObjectKey.Of(obj));
                queued++;
                continue;
            }
            var stale = obj.Status!.LastSyncTime is not { } last || now - last > options.LastSyncRefresh;
            if (ClusterStatusMapper.Differs(obj.Status, observed!) || stale || obj.Status.Phase != obj.Status.Status)
            {
                var status = obj.Status with { Conditions = Conditions.Copy(obj.Status.Conditions) };
                ClusterStatusMapper.Apply(status, observed!, now);
                status.Phase = ClusterStatusRule.Phase(beingDeleted: false, status);
                if (stale)
                {
                    status.LastSyncTime = now;
                }
                await RefreshStatusAsync(obj, status, ct).ConfigureAwait(false);
            }
        }
        return queued;
    }

    /// <summary>A status refresh that loses to any concurrent write, and fails alone.</summary>
    private async Task RefreshStatusAsync(ECSCluster obj, ECSClusterStatus status, CancellationToken ct)
    {
        try
        {
            await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(obj, status, ct, ifUnmodified: true).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Someone (a worker) wrote since the cache saw this object: its status is newer; the next scan compares again.
            logger.LogDebug("Status of {Namespace}/{Name} changed meanwhile; drift refresh skipped", obj.Metadata.NamespaceProperty, obj.Metadata.Name);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Failed("status", ObjectKey.Of(obj), e);
        }
    }
}

/// <summary>
/// The gauge <c>ecscluster_drift_unrepaired</c>: how many of the ECSClusters the last complete drift scan found out of
/// sync the scan before it had found out of sync too, so the reconcile queued in between did not repair them (an ECS
/// write refused, a permission missing). 0 before the second scan and on a standby (it does not scan). Thread-safe.
/// </summary>
internal sealed class UnrepairedDrift
{
    private readonly Lock _gate = new();
    private HashSet<string> _last = new(StringComparer.Ordinal);
    private int _repeated;

    public UnrepairedDrift(Meter meter) =>
        meter.CreateObservableGauge("ecscluster_drift_unrepaired", () => Volatile.Read(ref _repeated),
            description: "ECSClusters found out of sync by the last two drift scans in a row (the repair between them did not take).");

    /// <summary>Number reported now.</summary>
    public int Count => Volatile.Read(ref _repeated);

    /// <summary>One scan ended; <paramref name="drifted"/> are the keys it found out of sync.</summary>
    public void Scanned(HashSet<string> drifted)
    {
        lock (_gate)
        {
            Volatile.Write(ref _repeated, drifted.Count(_last.Contains));
            _last = drifted;
        }
    }
}
