using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Operator.Testing.Yaml;

namespace Operator.Testing.Kubernetes;

/// <summary>
/// An in-process Kubernetes API server speaking the real wire protocol over plain HTTP on 127.0.0.1, for tests,
/// benchmarks and local mode. Use it with the real KubernetesClient (<see cref="CreateClient"/>) or kubectl
/// (<see cref="WriteKubeconfig"/>). See docs/kubernetes-api-emulator.md for what is and is not implemented.
/// </summary>
public sealed partial class KubeApiEmulator : IAsyncDisposable
{
    private readonly Lock _appGate = new();
    private readonly KubeApiEmulatorOptions _options;
    private WebApplication _app;
    private readonly ApiRequestHandler _handler;
    private readonly ObjectStore _store;
    private readonly RegistryStore _objects;
    private readonly ResourceRegistry _registry;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private KubeApiEmulator(WebApplication app, ApiRequestHandler handler, ObjectStore store, RegistryStore objects, ResourceRegistry registry, CancellationTokenSource stopping, FaultInjector faults, RequestLog log, KubeApiEmulatorOptions options)
    {
        _objects = objects;
        _app = app;
        _options = options;
        _handler = handler;
        _store = store;
        _registry = registry;
        _stopping = stopping;
        Faults = faults;
        Requests = log;
    }

    /// <summary>http://127.0.0.1:{port}/</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public FaultInjector Faults { get; }

    public RequestLog Requests { get; }

    /// <summary>Watches currently streaming (useful to wait until a client is watching before writing).</summary>
    public int OpenWatchCount => _handler.OpenWatchCount;

    /// <summary>The store's current resourceVersion (the last one assigned).</summary>
    public long CurrentResourceVersion
    {
        get
        {
            lock (_store.Gate)
            {
                return _store.CurrentRv;
            }
        }
    }

    public static async Task<KubeApiEmulator> StartAsync(KubeApiEmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var registry = new ResourceRegistry(options.ValidatorFactory);
        ApiRequestHandler? handler = null;
        var store = new ObjectStore(options.HistoryLimit) { Convert = RegistryStore.Serve };
        var objects = new RegistryStore(store, registry, options.TimeProvider);
        var stopping = new CancellationTokenSource();
        var log = new RequestLog();
        var faults = new FaultInjector(abort => handler!.DropWatches(abort), () => handler!.Compact());
        handler = new ApiRequestHandler(store, objects, registry, options, faults, log, stopping.Token);

        var app = BuildApp(handler, options.Port);
        var emulator = new KubeApiEmulator(app, handler, store, objects, registry, stopping, faults, log, options);
        faults.Restart = emulator.RestartAsync;
        lock (store.Gate)
        {
            var nsType = registry.Find("", "v1", "namespaces")!;
            foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            {
                objects.Create(nsType, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, dryRun: false);
            }
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        emulator.BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        if (options.CrdDirectory is not null)
        {
            await emulator.RegisterCrdsFromDirectoryAsync(options.CrdDirectory, cancellationToken).ConfigureAwait(false);
        }

        if (options.KubeconfigPath is not null)
        {
            emulator.WriteKubeconfig(options.KubeconfigPath);
        }

        return emulator;
    }

    private static WebApplication BuildApp(ApiRequestHandler handler, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        return app;
    }

    /// <summary>
    /// Restarts the listener as a real API server restart does: the listening socket is closed, so every new TCP
    /// connection is refused; requests in flight (watches included) keep being served for
    /// <paramref name="gracefulStop"/> (a slow graceful shutdown that drains watches) and are then cut; after
    /// <paramref name="refuseFor"/> (counted from the moment the listener closed) the server listens again on the
    /// same port with the same state. Completes when it is listening again.
    /// </summary>
    public async Task RestartAsync(TimeSpan refuseFor, TimeSpan gracefulStop = default, CancellationToken cancellationToken = default)
    {
        WebApplication old;
        lock (_appGate)
        {
            old = _app;
        }

        var closedAt = TimeProvider.System.GetTimestamp();
        using (var drain = new CancellationTokenSource(gracefulStop))
        {
            // StopAsync unbinds the listener first, then waits for open requests until the token fires, then aborts them.
            await old.StopAsync(drain.Token).ConfigureAwait(false);
        }

        await old.DisposeAsync().ConfigureAwait(false);
        var left = refuseFor - TimeProvider.System.GetElapsedTime(closedAt);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken).ConfigureAwait(false);
        }

        var port = BaseAddress.Port;
        for (var attempt = 1; ; attempt++)
        {
            var fresh = BuildApp(_handler, port);
            try
            {
                await fresh.StartAsync(cancellationToken).ConfigureAwait(false);
                lock (_appGate)
                {
                    _app = fresh;
                }

                return;
            }
            catch (IOException) when (attempt < 50)
            {
                // The port may linger for a moment after the old listener closed.
                await fresh.DisposeAsync().ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A real client pointed at the emulator (no auth, plain HTTP).</summary>
    public IKubernetes CreateClient() => new Core.Kubernetes.OperatorKubernetesClient(ClientConfiguration());

    public KubernetesClientConfiguration ClientConfiguration() => new() { Host = BaseAddress.ToString().TrimEnd('/') };

    /// <summary>Writes a kubeconfig with cluster, user and context "emulator" (namespace default); returns the path.
    /// The user has no credentials, or <paramref name="token"/> as a bearer token (the emulator accepts any; the
    /// operator's kubeconfig loader refuses a user with none).</summary>
    public string WriteKubeconfig(string path, string? token = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster:
                server: {BaseAddress.ToString().TrimEnd('/')}
            users:
            - name: emulator
              user: {(token is null ? "{}" : $"{{ token: {token} }}")}
            contexts:
            - name: emulator
              context:
                cluster: emulator
                user: emulator
                namespace: default
            current-context: emulator

            """);
        return path;
    }

    /// <summary>Registers (or updates) every CustomResourceDefinition found in *.yaml / *.yml / *.json files of a directory.</summary>
    public async Task RegisterCrdsFromDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            RegisterCrdYaml(text);
        }
    }

    /// <summary>Registers (or updates) the CRDs in a YAML (or JSON) text; non-CRD documents are ignored.</summary>
    public void RegisterCrdYaml(string yaml)
    {
        foreach (var doc in YamlJson.ParseAll(yaml))
        {
            if (doc is JsonObject obj && obj["kind"]?.GetValue<string>() == "CustomResourceDefinition")
            {
                RegisterCrd(obj);
            }
        }
    }

    /// <summary>Creates the CRD object, or replaces the existing one of the same name; its resources are served at once.</summary>
    public void RegisterCrd(JsonObject crd)
    {
        ArgumentNullException.ThrowIfNull(crd);
        lock (_store.Gate)
        {
            var type = _registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
            var name = crd["metadata"]?["name"]?.GetValue<string>() ?? throw new ArgumentException("CRD without metadata.name", nameof(crd));
            if (_store.Get(type.StorageKey, null, name) is null)
            {
                _objects.Create(type, null, crd, dryRun: false);
            }
            else
            {
                _objects.Update(type, null, name, "", _ => (JsonObject)crd.DeepClone(), dryRun: false, requireRv: false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Faults.Clear();
        await _stopping.CancelAsync().ConfigureAwait(false);
        WebApplication app;
        lock (_appGate)
        {
            app = _app;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Disposed mid-restart: the old listener is already gone.
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }
}
