using System.Diagnostics.Metrics;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Operator.Core.Bulkheads;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Aws;
using Operator.Core.Aws.Credentials;
using Operator.Core.Aws.Ecs;
using Operator.Core.Aws.Http;
using Operator.Core.Aws.Resilience;
using Operator.Core.Clusters;
using Operator.Core.Controllers;
using Operator.Core.Events;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Monitoring;
using Operator.Core.Providers;
using Operator.Core.Runtime;
using Operator.Core.Status;

namespace Operator.Hosting;

/// <summary>
/// Registers the product: informers for AWSProviders, ECSClusters and (metadata only) Secrets, their indexes, the
/// two controllers with what each watches, and the drift scanner that replaces a per-object resync of ECSClusters.
/// Declared with <see cref="ControllerWiring"/>, as controller-runtime's builder declares them: the ECSCluster
/// controller is for ECSClusters and watches AWSProviders (mapped to the clusters using them); the AWSProvider
/// controller is for AWSProviders and watches ECSClusters (a cluster starting or stopping to use one) and Secrets
/// (mapped to the providers reading them).
/// </summary>
internal static class EcsOperatorModule
{
    /// <summary>The JSON of every kind the process reads or writes: the engine's own and this API's
    /// (<see cref="ApiJsonContext"/>), composed here once. The host registers it and gives it to the clients it makes.</summary>
    public static readonly KubeJson Json = new(ApiJsonContext.Default);

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
        services.AddSingleton(sp => new EcsClientFactory(
            sp.GetRequiredService<AwsHttpPools>(), sp.GetRequiredService<AwsResiliencePipelines>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EcsClientCache>();
        services.AddSingleton(sp => new OwnWrites(sp.GetRequiredService<TimeProvider>()));
        // The retries of writes and of Events are registered, not built in, so that a composition can replace them.
        services.AddSingleton(new WriteRetryOptions());
        services.AddSingleton(sp => new ObjectPatcher(sp.GetRequiredService<k8s.IKubernetes>(), sp.GetRequiredService<KubeJson>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ObjectPatcher>>(), sp.GetRequiredService<WriteRetryOptions>(), sp.GetRequiredService<OwnWrites>()));
        services.AddSingleton<ApiServerHiccups>();
        // The only metadata our own writes change besides status: adding our finalizer is not a reason to reconcile.
        services.AddSingleton(new OwnWriteFilter([ApiGroup.Finalizer, ProviderProtection.Finalizer], [Ownership.CreatedArnAnnotation]));
        services.AddSingleton(new EventRecorderOptions());
        services.AddSingleton(sp => new EventRecorder(
            sp.GetRequiredService<k8s.IKubernetes>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EventRecorder>>(),
            sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<EventRecorderOptions>()));
        services.AddSingleton<IEventRecorder>(sp => sp.GetRequiredService<EventRecorder>());
        // Its sender runs under the supervisor: if it dies, the process stops instead of dropping every later Event.
        services.AddSingleton<ISupportRunnable>(sp => sp.GetRequiredService<EventRecorder>());
        AwsCredentialsRegistration.Register(services, options);

        services.AddInformer<AWSProvider>(i => i
            .Handles(sp => new OwnWritesHandler<AWSProvider>(sp.GetRequiredService<OwnWrites>()))
            .Index(SecretChangeHandler.ProvidersBySecretIndex, SecretChangeHandler.SecretsOf)
            .Handles(sp => new EventBookkeepingHandler<AWSProvider>(sp.GetRequiredService<IEventRecorder>())));
        // No resync for ECSClusters: the drift scanner compares them with AWS in batches instead.
        services.AddInformer<ECSCluster>(i => i
            .Resync(TimeSpan.Zero)
            .Handles(sp => new OwnWritesHandler<ECSCluster>(sp.GetRequiredService<OwnWrites>()))
            .Index(ProviderReconciler.ClustersByProviderIndex, c => [ProviderResolver.ProviderKey(c)])
            .Handles(sp => new EventBookkeepingHandler<ECSCluster>(sp.GetRequiredService<IEventRecorder>())));
        // Listed and watched as metadata only (PartialObjectMetadata, as client-go's metadata informer), and no string pool:
        // the metadata of a Secret can still carry its data (kubectl's last-applied annotation), which must not outlive the read.
        services.AddInformer<PartialObjectMetadata<V1Secret>>(i => i.Resync(TimeSpan.Zero).WithoutSharedStrings().Transform(SecretChangeHandler.MetadataOnly));
        services.AddSingleton(sp => new ProviderResolver(sp.GetRequiredService<Informer<AWSProvider>>().Store));
        services.AddSingleton(new ClusterReconcilerOptions());
        services.AddSingleton(sp => new ProviderBulkhead(
            options.MaxReconcilesPerProvider > 0 ? options.MaxReconcilesPerProvider : ProviderBulkhead.DefaultCapacity(options.Workers),
            sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton(new ProviderReconcilerOptions());
        services.AddSingleton(sp => new ProviderCheckSlots(
            options.MaxProviderChecks > 0 ? options.MaxProviderChecks : ProviderBulkhead.DefaultCapacity(options.Workers),
            sp.GetRequiredService<StsClientOptions>().DefaultEndpoint, sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<OwnershipGate>();
        services.AddSingleton<ProviderWaitList>();
        services.AddSingleton<IClusterLookup>(sp => new ClusterLookup(new ClusterLookupOptions(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ClusterExecutor>(sp, sp.GetRequiredService<Informer<ECSCluster>>().Store));
        services.AddSingleton<ProviderExecutor>();
        services.AddSingleton(new DriftScannerOptions { Period = options.ResyncPeriod });
        services.AddSingleton(sp => new FleetMetrics(
            sp.GetRequiredService<Informer<ECSCluster>>().Store, sp.GetRequiredService<Informer<AWSProvider>>().Store, sp.GetRequiredService<IMeterFactory>()));

        services.AddController<AWSProvider>("awsprovider", c => c
            .Reconciler<ProviderReconciler>()
            // In-use protection: a cluster that starts or stops using a provider re-runs the provider's finalizer logic.
            .Watches<ECSCluster>((sp, enqueue) => new ClusterUsageHandler(sp.GetRequiredService<Informer<AWSProvider>>().Store, enqueue))
            .Watches<PartialObjectMetadata<V1Secret>>((sp, enqueue) => new SecretChangeHandler(
                sp.GetRequiredService<Informer<AWSProvider>>().Store, sp.GetRequiredService<IAwsCredentialsCache>(), enqueue))
            // A check parked behind its namespace's or endpoint's full slots is queued again when one frees.
            .Wire((sp, controller) => sp.GetRequiredService<ProviderCheckSlots>().Waiting.WakeWith((key, priority) => controller.Enqueue(key, priority))));
        services.AddController<ECSCluster>("ecscluster", c => c
            .Reconciler<ClusterReconciler>()
            .Watches<AWSProvider>(sp => ProviderDependents.Map(sp.GetRequiredService<Informer<ECSCluster>>().Store))
            // A self-contradicting status is always reconciled, at the default priority even before the workers start:
            // the drift scanner's bulk confirmation at start does not look for every contradiction.
            .Wire((sp, controller) => sp.GetRequiredService<Informer<ECSCluster>>().AddHandler(new ContradictedStatusHandler(controller.Enqueue)))
            // A key parked behind its provider's full bulkhead is queued again when a slot frees; converged objects
            // are confirmed at start by the drift scanner's batches instead of one reconcile each.
            .Wire((sp, controller) =>
            {
                sp.GetRequiredService<ProviderWaitList>().WakeWith((key, priority) => controller.Enqueue(key, priority));
                controller.ConfirmInBulk(sp.GetRequiredService<DriftScanner>());
                // Made here, with the wiring, so the fleet gauges are exported from start-up.
                sp.GetRequiredService<FleetMetrics>();
            }));
        // Drift never re-queues a key already in the pipeline (queued, in flight, or parked behind a full provider).
        services.AddSingleton(sp =>
        {
            var controller = sp.GetRequiredService<Controller<ECSCluster>>();
            return ActivatorUtilities.CreateInstance<DriftScanner>(
                sp, sp.GetRequiredService<Informer<ECSCluster>>().Store, ParkedAware(sp, key => controller.EnqueueBackground(key)));
        });
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
}
