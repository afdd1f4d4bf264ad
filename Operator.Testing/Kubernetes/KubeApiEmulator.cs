using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    private readonly Authorization.TokenAuthenticator _tokens;
    private readonly ServerLifecycle _lifecycle;
    private readonly X509Certificate2? _certificate;
    private int _disposed;

    private KubeApiEmulator(WebApplication app, ApiRequestHandler handler, ObjectStore store, RegistryStore objects, ResourceRegistry registry, CancellationTokenSource stopping, FaultInjector faults, RequestLog log, KubeApiEmulatorOptions options, Authorization.TokenAuthenticator tokens, ServerLifecycle lifecycle)
    {
        _tokens = tokens;
        _lifecycle = lifecycle;
        _certificate = options.EnforceRbac ? SelfSignedCertificate() : null;
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

    /// <summary>
    /// https://127.0.0.1:{port}/ when RBAC is enforced, else null: kubectl (client-go) sends no bearer token over plain
    /// HTTP, so the kubeconfigs <see cref="WriteKubeconfig"/> writes then point here, with the emulator's self-signed
    /// certificate as their certificate authority. The same API is served on both addresses.
    /// </summary>
    public Uri? SecureBaseAddress { get; private set; }

    public FaultInjector Faults { get; }

    /// <summary>The admin's bearer token (what <see cref="CreateClient()"/> and <see cref="WriteKubeconfig"/> use by default).</summary>
    public string AdminToken => _tokens.AdminToken;

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
        var tokens = new Authorization.TokenAuthenticator(options.AdminToken);
        var lifecycle = new ServerLifecycle();
        handler = new ApiRequestHandler(store, objects, registry, options, faults, log, stopping.Token, tokens, lifecycle);

        var emulator = new KubeApiEmulator(null!, handler, store, objects, registry, stopping, faults, log, options, tokens, lifecycle);
        var app = BuildApp(handler, options.Port, 0, emulator._certificate);
        emulator._app = app;
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
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        emulator.BaseAddress = new Uri($"http://127.0.0.1:{addresses.First(a => a.Scheme == "http").Port.ToString(CultureInfo.InvariantCulture)}/");
        if (addresses.FirstOrDefault(a => a.Scheme == "https") is { } secure)
        {
            emulator.SecureBaseAddress = new Uri($"https://127.0.0.1:{secure.Port.ToString(CultureInfo.InvariantCulture)}/");
        }
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

    private static WebApplication BuildApp(ApiRequestHandler handler, int port, int securePort, X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1);
            if (certificate is not null)
            {
                k.Listen(IPAddress.Loopback, securePort, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    l.UseHttps(certificate);
                });
            }

            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        return app;
    }

    /// <summary>
    /// Restarts the server as a real kube-apiserver v1.32 restart does, phase by phase (see
    /// <see cref="KubeApiRestartOptions"/>; null uses <see cref="KubeApiEmulatorOptions.Restart"/>): every watch ends and
    /// new requests get 503 while it shuts down; connections are refused; the watch history is lost (a resumed watch
    /// gets 410, a relist the same objects at the same resourceVersions); after it listens again, users outside
    /// system:masters get 403 for a while, resource requests 503 and lists and watches 429 for shorter while.
    /// Completes when it listens again (the windows after start are still running).
    /// </summary>
    public async Task RestartAsync(KubeApiRestartOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= _options.Restart;
        var started = false;
        try
        {
            if (options.Kill)
            {
                _handler.DropWatches(abort: true);
            }
            else
            {
                _lifecycle.BeginShutdown();
                _handler.DropWatches(abort: false);
                if (options.ShuttingDownFor > TimeSpan.Zero)
                {
                    await Task.Delay(options.ShuttingDownFor, cancellationToken).ConfigureAwait(false);
                }
            }

            await RelistenAsync(options.RefuseConnectionsFor, TimeSpan.Zero, () =>
            {
                if (!options.KeepWatchHistory)
                {
                    _handler.Compact();
                }
            }, cancellationToken).ConfigureAwait(false);
            _lifecycle.Started(options);
            started = true;
        }
        finally
        {
            if (!started)
            {
                // A cancelled restart must not leave the server answering "shutting down" for ever.
                _lifecycle.Started(KubeApiRestartOptions.ListenerOnly(TimeSpan.Zero));
            }
        }
    }

    /// <summary>
    /// Restarts only the listener (the emulator's earlier restart, kept for the tests that rely on it): the listening
    /// socket is closed, so every new TCP connection is refused; requests in flight (watches included) keep being
    /// served for <paramref name="gracefulStop"/> and are then cut; after <paramref name="refuseFor"/> (counted from the
    /// moment the listener closed) the server listens again on the same port with the same state and watch history,
    /// and answers at once. Completes when it is listening again.
    /// </summary>
    public Task RestartAsync(TimeSpan refuseFor, TimeSpan gracefulStop = default, CancellationToken cancellationToken = default) =>
        RelistenAsync(refuseFor, gracefulStop, () => { }, cancellationToken);

    private async Task RelistenAsync(TimeSpan refuseFor, TimeSpan gracefulStop, Action whileClosed, CancellationToken cancellationToken)
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
            try
            {
                await old.StopAsync(drain.Token).ConfigureAwait(false);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A connection the client closed while the server stopped ("transport endpoint is not connected"):
                // there is nothing left to stop; the listener is closed either way.
            }
        }

        try
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // As above.
        }
        whileClosed();
        var left = refuseFor - TimeProvider.System.GetElapsedTime(closedAt);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken).ConfigureAwait(false);
        }

        var port = BaseAddress.Port;
        for (var attempt = 1; ; attempt++)
        {
            var fresh = BuildApp(_handler, port, SecureBaseAddress?.Port ?? 0, _certificate);
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

    /// <summary>
    /// A token for the ServiceAccount <paramref name="name"/> in <paramref name="namespace"/> (which must exist, as for
    /// <c>kubectl create token</c>): requests with it are <c>system:serviceaccount:ns:name</c> in the groups
    /// <c>system:serviceaccounts</c>, <c>system:serviceaccounts:ns</c> and <c>system:authenticated</c>, authorized by
    /// RBAC when <see cref="KubeApiEmulatorOptions.EnforceRbac"/> is on (and denied right after a restart either way).
    /// The token stops working when the ServiceAccount is deleted. Use it with <see cref="CreateClient(string)"/> or
    /// <see cref="WriteKubeconfig"/>.
    /// </summary>
    public string IssueServiceAccountToken(string @namespace, string name)
    {
        lock (_store.Gate)
        {
            var account = _store.Get("/serviceaccounts", @namespace, name)
                ?? throw new InvalidOperationException($"serviceaccounts \"{name}\" not found in namespace \"{@namespace}\"");
            return _tokens.IssueServiceAccount(@namespace, name, account["metadata"]!["uid"]!.GetValue<string>());
        }
    }

    /// <summary>A token for an arbitrary user and groups (<c>system:authenticated</c> is added), for RBAC tests.</summary>
    public string IssueUserToken(string user, params string[] groups) =>
        _tokens.IssueUser(new Authorization.UserInfo(user, [.. groups.Append("system:authenticated").Distinct(StringComparer.Ordinal)]));

    /// <summary>A real client pointed at the emulator over plain HTTP, as the admin (system:masters). It writes typed
    /// bodies with <paramref name="json"/>: the emulator serves any kind its CRDs declare, so its user says which types it
    /// sends (the product's: the composition root's <c>EcsOperatorModule.Json</c>); the default knows the engine's and the
    /// client's built-in kinds only.</summary>
    internal IKubernetes CreateClient(Core.Kubernetes.KubeJson json) => new Core.Kubernetes.OperatorKubernetesClient(ClientConfiguration(), json);

    /// <summary>As <see cref="CreateClient(Core.Kubernetes.KubeJson)"/>, knowing the engine's and the client's kinds only.</summary>
    public IKubernetes CreateClient() => CreateClient(Core.Kubernetes.KubeJson.Engine);

    /// <summary>A real client that authenticates with <paramref name="token"/> (from <see cref="IssueServiceAccountToken"/>).</summary>
    public IKubernetes CreateClient(string token) => CreateClient(token, Core.Kubernetes.KubeJson.Engine);

    /// <summary>As <see cref="CreateClient(string)"/>, writing typed bodies with <paramref name="json"/>.</summary>
    internal IKubernetes CreateClient(string token, Core.Kubernetes.KubeJson json) =>
        new Core.Kubernetes.OperatorKubernetesClient(ClientConfiguration(token), json);

    /// <summary>The client configuration of the admin, or of the user of <paramref name="token"/>.</summary>
    public KubernetesClientConfiguration ClientConfiguration(string? token = null) =>
        new() { Host = BaseAddress.ToString().TrimEnd('/'), AccessToken = token ?? _tokens.AdminToken };

    /// <summary>Writes a kubeconfig with cluster, user and context "emulator" (namespace default); returns the path.
    /// The user is the admin (system:masters), or the user of <paramref name="token"/> (from
    /// <see cref="IssueServiceAccountToken"/>; with RBAC off any other token is the admin too).</summary>
    public string WriteKubeconfig(string path, string? token = null)
    {
        token ??= _tokens.AdminToken;
        var server = (SecureBaseAddress ?? BaseAddress).ToString().TrimEnd('/');
        var authority = _certificate is null
            ? ""
            : $"\n    certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_certificate.ExportCertificatePem()))}";
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
                server: {server}{authority}
            users:
            - name: emulator
              user:
                token: {token}
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

    /// <summary>A certificate for 127.0.0.1 and localhost that is its own authority (kubeconfigs name it as their CA).</summary>
    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-api-emulator", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
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
            _certificate?.Dispose();
        }
    }
}
