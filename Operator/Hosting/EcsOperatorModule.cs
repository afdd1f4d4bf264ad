using System.Diagnostics.Metrics;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Resilience;
using Operator.Core.Clusters;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Providers;
using Operator.Core.Runtime;
using Operator.Core.Status;

namespace Operator.Hosting;

/// <summary>
/// Registers the product: informers for AWSProviders, ECSClusters and (metadata only) Secrets, their indexes, the
/// two controllers with what each watches, and the drift scanner that replaces a per-object resync of ECSClusters.
/// Watches, as controller-runtime's builder declares them: the ECSCluster controller watches ECSClusters and
/// AWSProviders (mapped to the clusters using them); the AWSProvider controller watches AWSProviders and Secrets
/// (mapped to the providers reading them).
/// </summary>
internal static class EcsOperatorModule
{
    public static void Register(WebApplicationBuilder builder, OperatorOptions options)
    {
        var services = builder.Services;
        services.AddSingleton(new AwsResilienceOptions
        {
            MaxRetryAttempts = options.AwsMaxRetries,
            AttemptTimeout = options.AwsAttemptTimeout,
            CallTimeout = options.AwsCallTimeout,
            ReadBucket = new TokenBucketOptions(options.AwsReadBurst, options.AwsReadQps),
            WriteBucket = new TokenBucketOptions(options.AwsWriteBurst, options.AwsWriteQps),
        });
        services.AddSingleton(sp => new AwsResiliencePipelines(
            sp.GetRequiredService<AwsResilienceOptions>(), sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt is bounded by the resilience pipeline's timeout
        });
        services.AddSingleton(sp => new EcsClientFactory(
            sp.GetRequiredService<HttpClient>(), sp.GetRequiredService<AwsResiliencePipelines>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EcsClientCache>();
        services.AddSingleton<ObjectPatcher>();
        // The only metadata our own writes change besides status: adding our finalizer is not a reason to reconcile.
        services.AddSingleton(new OwnWriteFilter([ApiGroup.Finalizer, ProviderProtection.Finalizer], [Ownership.CreatedArnAnnotation]));
        services.AddSingleton<IEventRecorder>(sp => new EventRecorder(
            sp.GetRequiredService<k8s.IKubernetes>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EventRecorder>>(),
            sp.GetRequiredService<IMeterFactory>()));
        AwsCredentialsRegistration.Register(services, options);

        services.AddSingleton(sp => NewInformer<AWSProvider>(sp, options.ResyncPeriod, null, store =>
            store.AddIndex(SecretChangeHandler.ProvidersBySecretIndex, SecretChangeHandler.SecretsOf)));
        // No resync for ECSClusters: the drift scanner compares them with AWS in batches instead.
        services.AddSingleton(sp => NewInformer<ECSCluster>(sp, TimeSpan.Zero, null, store =>
            store.AddIndex(ProviderReconciler.ClustersByProviderIndex, c => [ProviderResolver.ProviderKey(c)])));
        services.AddSingleton(sp => NewInformer<V1Secret>(sp, TimeSpan.Zero, SecretChangeHandler.MetadataOnly, _ => { }));
        services.AddSingleton<ISyncingRunnable>(sp => sp.GetRequiredService<Informer<AWSProvider>>());
        services.AddSingleton<ISyncingRunnable>(sp => sp.GetRequiredService<Informer<ECSCluster>>());
        services.AddSingleton<ISyncingRunnable>(sp => sp.GetRequiredService<Informer<V1Secret>>());
        services.AddSingleton(sp => new ProviderResolver(sp.GetRequiredService<Informer<AWSProvider>>().Store));
        services.AddSingleton(new ClusterReconcilerOptions());
        services.AddSingleton(sp => new ProviderBulkhead(
            options.MaxReconcilesPerProvider > 0 ? options.MaxReconcilesPerProvider : ProviderBulkhead.DefaultCapacity(options.Workers),
            sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<OwnershipGate>();
        services.AddSingleton<ProviderWaitList>();
        services.AddSingleton<IClusterLookup>(sp => new ClusterLookup(new ClusterLookupOptions(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ProviderProtection>(sp, sp.GetRequiredService<Informer<ECSCluster>>().Store));
        services.AddSingleton(new DriftScannerOptions { Period = options.ResyncPeriod });

        services.AddSingleton(sp =>
        {
            var clusters = sp.GetRequiredService<Informer<ECSCluster>>();
            var reconciler = ActivatorUtilities.CreateInstance<ClusterReconciler>(sp, clusters.Store);
            var controller = NewController(sp, "ecscluster", clusters, reconciler);
            sp.GetRequiredService<ProviderWaitList>().WakeWith(controller.Enqueue);
            controller.Watches(sp.GetRequiredService<Informer<AWSProvider>>(), ProviderDependents.Map(clusters.Store));
            clusters.AddHandler(new ContradictedStatusHandler(controller.Enqueue));
            clusters.AddHandler(new EventBookkeepingHandler<ECSCluster>(sp.GetRequiredService<IEventRecorder>()));
            return controller;
        });
        services.AddSingleton(sp =>
        {
            var providers = sp.GetRequiredService<Informer<AWSProvider>>();
            var reconciler = ActivatorUtilities.CreateInstance<ProviderReconciler>(sp, providers.Store);
            var controller = NewController(sp, "awsprovider", providers, reconciler);
            // In-use protection: a cluster that starts or stops using a provider re-runs the provider's finalizer logic.
            sp.GetRequiredService<Informer<ECSCluster>>().AddHandler(new ClusterUsageHandler(providers.Store, controller.Enqueue));
            providers.AddHandler(new EventBookkeepingHandler<AWSProvider>(sp.GetRequiredService<IEventRecorder>()));
            sp.GetRequiredService<Informer<V1Secret>>().AddHandler(new SecretChangeHandler(
                providers.Store, sp.GetRequiredService<IAwsCredentialsCache>(), controller.Enqueue));
            return controller;
        });
        services.AddSingleton(sp =>
        {
            // Drift never re-queues a key already in the pipeline (queued, in flight, or parked behind a full
            // provider); the scanner also does the initial sync in bulk.
            var controller = sp.GetRequiredService<Controller<ECSCluster>>();
            var scanner = ActivatorUtilities.CreateInstance<DriftScanner>(
                sp, sp.GetRequiredService<Informer<ECSCluster>>().Store, ParkedAware(sp, key => controller.EnqueueBackground(key)));
            controller.ConfirmInBulk(scanner);
            return scanner;
        });
        services.AddSingleton<IRunnable>(sp => sp.GetRequiredService<Controller<AWSProvider>>());
        services.AddSingleton<IRunnable>(sp => sp.GetRequiredService<Controller<ECSCluster>>());
        services.AddSingleton<IRunnable>(sp => sp.GetRequiredService<DriftScanner>());
    }

    /// <summary>The drift scanner's enqueue: a key parked for its provider's slot is already waiting, and is woken when
    /// one frees; queuing it again would only cost a refused reconcile per scan.</summary>
    private static Action<string> ParkedAware(IServiceProvider sp, Action<string> enqueue)
    {
        var waiting = sp.GetRequiredService<ProviderWaitList>();
        return key =>
        {
            if (!waiting.IsParked(key))
            {
                enqueue(key);
            }
        };
    }

    private static Informer<T> NewInformer<T>(IServiceProvider sp, TimeSpan resync, Func<T, T>? transform, Action<ObjectStore<T>> index)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        var informer = new Informer<T>(
            sp.GetRequiredService<RawApiClient>(),
            sp.GetRequiredService<InformerOptions>() with { ResyncPeriod = resync },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<InformerMetrics>(),
            transform);
        index(informer.Store);
        return informer;
    }

    private static Controller<T> NewController<T>(IServiceProvider sp, string name, Informer<T> informer, IReconciler reconciler)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta> =>
        new(name, informer, reconciler, sp.GetRequiredService<ControllerOptions>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<ControllerMetrics>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<OwnWriteFilter>());
}
