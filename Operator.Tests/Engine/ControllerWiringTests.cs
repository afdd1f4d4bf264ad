using Microsoft.AspNetCore.Builder;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Runtime;
using Operator.Core.Supervision;

namespace Operator.Tests.Engine;

/// <summary>
/// The production composition (<see cref="EcsOperatorModule"/> through <see cref="OperatorHost"/>): whatever order the
/// container resolves the informers, controllers and drift scanner in, every informer ends up with exactly the declared
/// handlers once the <see cref="ControllerManager"/> exists, and none is attached twice.
/// </summary>
[TestFixture]
public sealed class ControllerWiringTests
{
    private static readonly Type[] Resolvable =
    [
        typeof(Informer<AWSProvider>), typeof(Informer<ECSCluster>), typeof(Informer<Operator.Core.Kubernetes.PartialObjectMetadata<V1Secret>>),
        typeof(Controller<AWSProvider>), typeof(Controller<ECSCluster>), typeof(DriftScanner),
    ];

    [Test]
    public async Task Every_informer_gets_the_declared_handlers_in_any_resolution_order()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        for (var run = 0; run < 6; run++)
        {
            var order = Resolvable.OrderBy(_ => random.Next()).Take(random.Next(0, Resolvable.Length + 1)).ToList();
            await using var app = Build();
            foreach (var type in order)
            {
                app.Services.GetRequiredService(type);
            }
            app.Services.GetRequiredService<ControllerManager>();

            var because = $"seed {seed}, resolved first: {string.Join(", ", order.Select(t => t.Name))}";
            Kinds(app.Services.GetRequiredService<Informer<Operator.Core.Kubernetes.PartialObjectMetadata<V1Secret>>>()).Should().BeEquivalentTo([nameof(SecretChangeHandler)], because);
            Kinds(app.Services.GetRequiredService<Informer<AWSProvider>>()).Should().BeEquivalentTo(
                ["OwnWritesHandler`1", "Controller`1", "EventBookkeepingHandler`1", "MappedHandler`1"], because);
            Kinds(app.Services.GetRequiredService<Informer<ECSCluster>>()).Should().BeEquivalentTo(
                ["OwnWritesHandler`1", "Controller`1", "EventBookkeepingHandler`1", nameof(ContradictedStatusHandler), nameof(ClusterUsageHandler)], because);
        }
    }

    [Test]
    public async Task Secrets_are_read_without_the_string_pool_and_the_custom_resources_with_it()
    {
        await using var app = Build();
        app.Services.GetRequiredService<Informer<Operator.Core.Kubernetes.PartialObjectMetadata<V1Secret>>>().CacheJson.Converters.Should().NotContain(c => c is Operator.Core.Kubernetes.PooledStringConverter,
            "a pooled string outlives the object it was read for, and a Secret's values must not");
        app.Services.GetRequiredService<Informer<ECSCluster>>().CacheJson.Converters.Should().Contain(c => c is Operator.Core.Kubernetes.PooledStringConverter);
        app.Services.GetRequiredService<Informer<AWSProvider>>().CacheJson.Converters.Should().Contain(c => c is Operator.Core.Kubernetes.PooledStringConverter);
    }

    [Test]
    public async Task Applying_the_wiring_again_attaches_nothing_more()
    {
        await using var app = Build();
        app.Services.GetRequiredService<ControllerManager>();
        var before = app.Services.GetRequiredService<Informer<ECSCluster>>().Handlers.Count;

        app.Services.GetRequiredService<InformerWiring>().Apply();

        app.Services.GetRequiredService<Informer<ECSCluster>>().Handlers.Should().HaveCount(before);
    }

    [Test]
    public async Task A_later_declaration_of_a_kind_replaces_the_earlier_one()
    {
        await using var app = Build(compose: (builder, _) => builder.Services
            .AddController<ECSCluster>("ecscluster", c => c.Reconciler((_, _) => new NoopReconciler())));
        app.Services.GetRequiredService<ControllerManager>();

        Kinds(app.Services.GetRequiredService<Informer<ECSCluster>>()).Should().BeEquivalentTo(
            ["OwnWritesHandler`1", "Controller`1", "EventBookkeepingHandler`1", nameof(ClusterUsageHandler)]);
        Kinds(app.Services.GetRequiredService<Informer<AWSProvider>>()).Should().NotContain("MappedHandler`1");
        app.Services.GetServices<IRunnable>().Select(r => r.Name).Should().OnlyHaveUniqueItems();
    }

    [Test]
    public async Task Constructing_every_service_attaches_nothing_until_the_wiring_is_applied()
    {
        await using var app = Build();
        foreach (var type in Resolvable)
        {
            app.Services.GetRequiredService(type);
        }
        app.Services.GetServices<IRunnable>().Should().NotBeEmpty();
        app.Services.GetServices<ISupportRunnable>().Should().NotBeEmpty();

        Kinds(app.Services.GetRequiredService<Informer<AWSProvider>>()).Should().BeEmpty("constructing a service attaches nothing to another service");
        Kinds(app.Services.GetRequiredService<Informer<ECSCluster>>()).Should().BeEmpty("a controller does not attach itself to its informer");
        Kinds(app.Services.GetRequiredService<Informer<Operator.Core.Kubernetes.PartialObjectMetadata<V1Secret>>>()).Should().BeEmpty();
    }

    [Test]
    public async Task A_handler_form_watch_enqueues_as_a_mapped_key()
    {
        Action<string>? given = null;
        await using var app = Build(compose: (builder, _) => builder.Services.AddController<ECSCluster>("ecscluster", c => c
            .Reconciler((_, _) => new NoopReconciler())
            .Watches<AWSProvider>((_, enqueue) =>
            {
                given = enqueue;
                return new EventBookkeepingHandler<AWSProvider>(new Recorder());
            })));
        app.Services.GetRequiredService<ControllerManager>();

        given.Should().NotBeNull();
        given!.Target.Should().BeSameAs(app.Services.GetRequiredService<Controller<ECSCluster>>());
        given.Method.Name.Should().Be(nameof(Controller<ECSCluster>.EnqueueMapped),
            "a handler's keys are queued as a map's are: low priority before the workers start (Controller's contract)");
    }

    private sealed class Recorder : IEventRecorder
    {
        public Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, EventSeverity severity, string reason, string message, CancellationToken ct,
            string? series = null) => Task.CompletedTask;
    }

    private static List<string> Kinds<T>(Informer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        [.. informer.Handlers.Select(h => h.GetType().Name)];

    private static WebApplication Build(Action<WebApplicationBuilder, OperatorOptions>? compose = null)
    {
        // Nothing connects: the host is built, never started.
        var client = new Operator.Core.Kubernetes.OperatorKubernetesClient(new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }, EcsOperatorModule.Json);
        return OperatorHost.Build([], (builder, options) =>
        {
            EcsOperatorModule.Register(builder, options);
            compose?.Invoke(builder, options);
        }, client, overrides: new Dictionary<string, string?> { ["LeaderElect"] = "false", ["MetricsPort"] = "0", ["HealthPort"] = "0" });
    }

    private sealed class NoopReconciler : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken ct) => Task.FromResult(ReconcileResult.Done);
    }
}
