using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Operator.Core.Controllers;
using Operator.Core.Informers;
using Operator.Core.Kubernetes;
using Operator.Core.Runtime;
using Operator.Core.Supervision;

namespace Operator.Hosting;

/// <summary>
/// Declarative wiring of informers and controllers, in the spirit of controller-runtime's builder
/// (<c>For(&amp;Foo{}).Watches(&amp;Bar{}, EnqueueRequestsFromMapFunc(...)).WithOptions(...)</c>):
/// <see cref="AddInformer{T}"/> declares one kind's cache (resync, transform, indexes, handlers that enqueue nothing),
/// <see cref="AddController{T}"/> one controller (its primary kind, its reconciler, the other kinds it watches with
/// their key mapping, its options).
/// Guarantees: constructing a service attaches nothing to another service, so the order in which the container
/// resolves them does not matter. Every declared handler is attached by <see cref="InformerWiring.Apply"/>, exactly once,
/// in declaration order, and the host applies it before the <see cref="ControllerManager"/> exists, hence before any
/// informer runs and delivers its first event. Handlers of one informer must not depend on each other's order (each
/// only enqueues or drops bookkeeping).
/// Declaring the same kind again replaces the earlier declaration (a benchmark re-composes the product this way).
/// The caller declares the informer of every kind a controller is for or watches.
/// </summary>
internal static class ControllerWiring
{
    public static IServiceCollection AddInformer<T>(this IServiceCollection services, Action<InformerBuilder<T>>? configure = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var builder = new InformerBuilder<T>();
        configure?.Invoke(builder);
        Replace(services, builder);
        services.AddSingleton<Informer<T>>(builder.Build);
        services.AddSingleton<ISyncingRunnable>(builder.Resolve);
        return services;
    }

    public static IServiceCollection AddController<T>(this IServiceCollection services, string name, Action<ControllerBuilder<T>> configure)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var builder = new ControllerBuilder<T>(name);
        configure(builder);
        Replace(services, builder);
        services.AddSingleton<Controller<T>>(builder.Build);
        services.AddSingleton<IRunnable>(builder.Resolve);
        return services;
    }

    /// <summary>Drops an earlier declaration of the same kind (its wiring and its runnable) and registers this one's wiring.</summary>
    private static void Replace<TBuilder>(IServiceCollection services, TBuilder builder)
        where TBuilder : class, IWiring
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            var d = services[i];
            if (d.ImplementationInstance is InformerWiring.Part { Wiring: TBuilder }
                || (d.ServiceType == typeof(ISyncingRunnable) || d.ServiceType == typeof(IRunnable)) && d.ImplementationFactory?.Target is TBuilder)
            {
                services.RemoveAt(i);
            }
        }
        services.AddSingleton(new InformerWiring.Part(builder));
        services.TryAddSingleton<InformerWiring>();
    }
}

/// <summary>What <see cref="InformerWiring"/> applies: the handlers one declaration attaches to informers.</summary>
internal interface IWiring
{
    void Wire(IServiceProvider services);
}

/// <summary>
/// Attaches every declared handler to its informer once, when first applied; later calls do nothing. Must be applied
/// before any informer runs (the host applies it while it builds the <see cref="ControllerManager"/>).
/// </summary>
internal sealed class InformerWiring(IEnumerable<InformerWiring.Part> parts, IServiceProvider services)
{
    private readonly Lock _gate = new();
    private bool _applied;

    public void Apply()
    {
        lock (_gate)
        {
            if (_applied)
            {
                return;
            }
            _applied = true;
            foreach (var part in parts)
            {
                part.Wiring.Wire(services);
            }
        }
    }

    internal sealed record Part(IWiring Wiring);
}

/// <summary>
/// One informer's declaration. Defaults: the operator's resync period (<see cref="InformerOptions"/>), shared strings,
/// no transform beyond the informer's own trimming, no index, no handler.
/// </summary>
internal sealed class InformerBuilder<T> : IWiring
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly List<(string Name, Func<T, IEnumerable<string>> Values)> _indexes = [];
    private readonly List<Func<IServiceProvider, IInformerHandler<T>>> _handlers = [];
    private TimeSpan? _resync;
    private bool _sharedStrings = true;
    private Func<T, T>? _transform;

    /// <summary>Re-delivers every cached object this often (zero: never), instead of the operator's resync period.</summary>
    public InformerBuilder<T> Resync(TimeSpan period)
    {
        _resync = period;
        return this;
    }

    /// <summary>No string pool for this kind (<see cref="InformerOptions.SharedStrings"/>): for Secrets.</summary>
    public InformerBuilder<T> WithoutSharedStrings()
    {
        _sharedStrings = false;
        return this;
    }

    /// <summary>Applied to every object before it is cached (e.g. keep only metadata).</summary>
    public InformerBuilder<T> Transform(Func<T, T> transform)
    {
        _transform = transform;
        return this;
    }

    public InformerBuilder<T> Index(string name, Func<T, IEnumerable<string>> values)
    {
        _indexes.Add((name, values));
        return this;
    }

    /// <summary>A handler that is not a controller's (bookkeeping); it must be quick, as every informer handler.</summary>
    public InformerBuilder<T> Handles(Func<IServiceProvider, IInformerHandler<T>> handler)
    {
        _handlers.Add(handler);
        return this;
    }

    internal Informer<T> Build(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<InformerOptions>();
        var informer = new Informer<T>(
            sp.GetRequiredService<RawApiClient>(),
            options with { ResyncPeriod = _resync ?? options.ResyncPeriod, SharedStrings = _sharedStrings },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<InformerMetrics>(),
            _transform);
        foreach (var (name, values) in _indexes)
        {
            informer.Store.AddIndex(name, values);
        }
        return informer;
    }

    internal ISyncingRunnable Resolve(IServiceProvider sp) => sp.GetRequiredService<Informer<T>>();

    void IWiring.Wire(IServiceProvider services)
    {
        var informer = services.GetRequiredService<Informer<T>>();
        foreach (var handler in _handlers)
        {
            informer.AddHandler(handler(services));
        }
    }
}

/// <summary>
/// One controller's declaration: <c>For</c> is <typeparamref name="T"/> (the controller's own informer events enqueue
/// its keys, filtered by <see cref="OwnWriteFilter"/>); <see cref="Watches{TSource}(Func{IServiceProvider, Func{TSource, TSource, IEnumerable{string}}})"/>
/// maps another kind's changes to keys of <typeparamref name="T"/>. The reconciler is required.
/// </summary>
internal sealed class ControllerBuilder<T>(string name) : IWiring
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly List<Action<IServiceProvider, Controller<T>>> _watches = [];
    private Func<IServiceProvider, ObjectStore<T>, IReconciler>? _reconciler;
    private Func<ControllerOptions, ControllerOptions> _options = o => o;

    public string Name { get; } = name;

    /// <summary>The reconciler, given the primary kind's cache (reconcilers read from it, never from the API server).</summary>
    public ControllerBuilder<T> Reconciler(Func<IServiceProvider, ObjectStore<T>, IReconciler> factory)
    {
        _reconciler = factory;
        return this;
    }

    /// <summary>A reconciler built by the container, given the primary kind's cache as its store argument.</summary>
    public ControllerBuilder<T> Reconciler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TReconciler>()
        where TReconciler : IReconciler =>
        Reconciler((sp, store) => ActivatorUtilities.CreateInstance<TReconciler>(sp, store));

    /// <summary>
    /// Changes of <typeparamref name="TSource"/> enqueue the keys <paramref name="map"/> returns, as
    /// <see cref="Controller{T}.Watches{TSource}"/> describes (old null on an add, new null on a delete).
    /// </summary>
    public ControllerBuilder<T> Watches<TSource>(Func<IServiceProvider, Func<TSource?, TSource?, IEnumerable<string>>> map)
        where TSource : class, IKubernetesObject<V1ObjectMeta>
    {
        _watches.Add((sp, controller) => controller.Watches(sp.GetRequiredService<Informer<TSource>>(), map(sp)));
        return this;
    }

    /// <summary>
    /// A handler of <typeparamref name="TSource"/> (possibly <typeparamref name="T"/> itself) given this controller's
    /// enqueue for mapped keys (<see cref="Controller{T}.EnqueueMapped"/>: low priority before the workers start, as a
    /// map's keys), for mappings that need more than old and new (e.g. dropping cached credentials first).
    /// </summary>
    public ControllerBuilder<T> Watches<TSource>(Func<IServiceProvider, Action<string>, IInformerHandler<TSource>> handler)
        where TSource : class, IKubernetesObject<V1ObjectMeta>
    {
        _watches.Add((sp, controller) => sp.GetRequiredService<Informer<TSource>>().AddHandler(handler(sp, controller.EnqueueMapped)));
        return this;
    }

    /// <summary>
    /// Wiring that needs the built controller (e.g. a component that enqueues into it or that the controller consults),
    /// applied with the watches, before anything runs.
    /// </summary>
    public ControllerBuilder<T> Wire(Action<IServiceProvider, Controller<T>> wire)
    {
        _watches.Add(wire);
        return this;
    }

    /// <summary>Adjusts the operator-wide <see cref="ControllerOptions"/> for this controller.</summary>
    public ControllerBuilder<T> WithOptions(Func<ControllerOptions, ControllerOptions> configure)
    {
        _options = configure;
        return this;
    }

    internal Controller<T> Build(IServiceProvider sp)
    {
        var reconcilerFactory = _reconciler ?? throw new InvalidOperationException($"controller {Name} declares no reconciler");
        var informer = sp.GetRequiredService<Informer<T>>();
        return new Controller<T>(Name, informer, reconcilerFactory(sp, informer.Store), _options(sp.GetRequiredService<ControllerOptions>()),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<ControllerMetrics>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<OwnWriteFilter>());
    }

    internal IRunnable Resolve(IServiceProvider sp) => sp.GetRequiredService<Controller<T>>();

    void IWiring.Wire(IServiceProvider services)
    {
        var controller = services.GetRequiredService<Controller<T>>();
        // For: its own kind's events (the controller attaches nothing itself).
        services.GetRequiredService<Informer<T>>().AddHandler(controller);
        foreach (var watch in _watches)
        {
            watch(services, controller);
        }
    }
}
