using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Operator.Core.Clusters;
using Operator.Core.Providers;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// Benchmark-only re-composition of the operator that behaves like the Go original in steady state: the ECSCluster
/// informer resyncs every period and re-enqueues every object (one reconcile, hence one DescribeClusters, per object
/// per period), the drift scanner is parked (a one-day period), and every reconcile ends with a status write
/// (<see cref="StatusWritingReconciler"/>). Registered after <see cref="EcsOperatorModule"/>, so these registrations
/// win; production code and its defaults are untouched.
/// </summary>
internal static class NaiveBaseline
{
    public static void Compose(WebApplicationBuilder builder, OperatorOptions options) => Compose(builder, options, null);

    /// <summary>The same, with the status-writing reconciler wrapped once more (another baseline's extra calls).</summary>
    public static void Compose(WebApplicationBuilder builder, OperatorOptions options,
        Func<IReconciler, ObjectStore<ECSCluster>, IReconciler>? decorate)
    {
        var services = builder.Services;
        services.AddSingleton(new DriftScannerOptions { Period = TimeSpan.FromDays(1) });
        services.AddInformer<ECSCluster>(i => i
            .Resync(options.ResyncPeriod)
            .Index(ProviderReconciler.ClustersByProviderIndex, c => [ProviderResolver.ProviderKey(c)]));
        services.AddController<ECSCluster>("ecscluster", c => c
            .Reconciler((sp, store) =>
            {
                IReconciler reconciler = new StatusWritingReconciler(
                    ActivatorUtilities.CreateInstance<ClusterReconciler>(sp, store), store, sp.GetRequiredService<IKubernetes>(), sp.GetRequiredService<TimeProvider>());
                return decorate?.Invoke(reconciler, store) ?? reconciler;
            })
            .Watches<AWSProvider>(sp => ProviderDependents.Map(sp.GetRequiredService<Informer<ECSCluster>>().Store)));
    }
}
