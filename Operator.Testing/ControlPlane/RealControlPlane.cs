using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Operator.Testing.Kubernetes;

namespace Operator.Testing.ControlPlane;

/// <summary>
/// A real Kubernetes control plane on loopback, as controller-runtime's envtest starts one: etcd, kube-apiserver and
/// kube-controller-manager (v1.32.13, from <see cref="RealApiServerBinaries"/>) as child processes on free ports, with
/// certificates made fresh (<see cref="ControlPlanePki"/>), RBAC on (<c>--authorization-mode=Node,RBAC</c>), and an
/// audit log of every request made by a ServiceAccount (<see cref="ServiceAccountRequests"/>), so a test can prove
/// that the shipped RBAC allowed everything the operator asked. Everything lives in a fresh directory under
/// <see cref="Root"/>, deleted on disposal, which stops every process. Children of a test run that died are reaped
/// when the next one starts.
/// The apiserver can be restarted (<see cref="RestartApiServerAsync"/>) while etcd keeps the state, as a rolling
/// control-plane upgrade does. The caller must dispose the control plane.
/// </summary>
public sealed class RealControlPlane : IAsyncDisposable
{
    /// <summary>Where every control plane's directory is made.</summary>
    public static readonly string Root = Path.Combine(Path.GetTempPath(), "infra-operator-real-apiserver");

    private const string AuditPolicy = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived, ResponseStarted]
        rules:
          - level: Metadata
            userGroups: ["system:serviceaccounts"]
          - level: None
        """;

    private readonly string _binaries;
    private readonly ControlPlanePki _pki;
    private readonly int _etcdPort;
    private readonly Lock _gate = new();
    private ChildProcess? _etcd;
    private ChildProcess? _apiServer;
    private ChildProcess? _controllerManager;
    private IKubernetes? _admin;

    private RealControlPlane(string binaries, string directory, ControlPlanePki pki, int apiPort, int etcdPort)
    {
        _binaries = binaries;
        Directory = directory;
        _pki = pki;
        ApiPort = apiPort;
        _etcdPort = etcdPort;
    }

    /// <summary>This control plane's working directory (certificates, etcd data, logs, kubeconfigs, audit log).</summary>
    public string Directory { get; }

    public int ApiPort { get; }

    public Uri Server => new($"https://127.0.0.1:{ApiPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A kubeconfig of the cluster admin (group system:masters).</summary>
    public string AdminKubeconfig => Path.Combine(Directory, "admin.kubeconfig");

    public string AuditLog => Path.Combine(Directory, "logs", "audit.log");

    /// <summary>The apiserver's process (to signal it directly); replaced by every restart.</summary>
    public ChildProcess ApiServer => _apiServer ?? throw new InvalidOperationException("the apiserver is not running");

    /// <summary>Starts etcd, the apiserver and the controller-manager; completes once the apiserver is ready.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing (the message says where they were looked for) or a component did not start.</exception>
    public static async Task<RealControlPlane> StartAsync(CancellationToken cancellationToken = default)
    {
        var binaries = RealApiServerBinaries.Locate(out var why)
            ?? throw new InvalidOperationException($"the real control plane cannot start: {why}");
        ChildProcess.ReapStale(Root);
        var directory = Path.Combine(Root, $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..30]);
        System.IO.Directory.CreateDirectory(directory);
        var pki = ControlPlanePki.Create(Path.Combine(directory, "pki"));
        var plane = new RealControlPlane(binaries, directory, pki, FreePort(), FreePort());
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "audit-policy.yaml"), AuditPolicy, cancellationToken).ConfigureAwait(false);
            plane.WriteKubeconfig(plane.AdminKubeconfig, "admin", pki.AdminCertificate, pki.AdminKey, token: null);
            plane.WriteKubeconfig(Path.Combine(directory, "kcm.kubeconfig"), "kcm", pki.ControllerManagerCertificate, pki.ControllerManagerKey, token: null);
            await plane.StartEtcdAsync(cancellationToken).ConfigureAwait(false);
            await plane.StartApiServerAsync(cancellationToken).ConfigureAwait(false);
            plane.StartControllerManager();
            return plane;
        }
        catch
        {
            await plane.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A client of the cluster admin (typed bodies of the engine's and the client's built-in kinds).</summary>
    public IKubernetes CreateAdminClient() =>
        new Core.Kubernetes.OperatorKubernetesClient(KubernetesClientConfiguration.BuildConfigFromConfigFile(AdminKubeconfig), Core.Kubernetes.KubeJson.Engine);

    private IKubernetes Admin => _admin ??= CreateAdminClient();

    /// <summary>
    /// Writes a kubeconfig for ServiceAccount <paramref name="ns"/>/<paramref name="name"/> (which must exist) with a
    /// token from the TokenRequest API, valid for <paramref name="validFor"/> (default a day).
    /// </summary>
    public async Task<string> WriteServiceAccountKubeconfigAsync(string ns, string name, string path, TimeSpan? validFor = null,
        CancellationToken cancellationToken = default)
    {
        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = (long)(validFor ?? TimeSpan.FromDays(1)).TotalSeconds },
        };
        var token = await Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        WriteKubeconfig(path, $"{ns}-{name}", certificate: null, key: null, token.Status.Token);
        return path;
    }

    /// <summary>
    /// Stops the apiserver (SIGTERM: a graceful shutdown that drains watches; <paramref name="hard"/>: SIGKILL), keeps
    /// it down for <paramref name="downFor"/> (connections refused), starts it again and waits until it is ready.
    /// </summary>
    public async Task RestartApiServerAsync(bool hard = false, TimeSpan? downFor = null, CancellationToken cancellationToken = default)
    {
        await StopApiServerAsync(hard).ConfigureAwait(false);
        await Task.Delay(downFor ?? TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        await StartApiServerAsync(cancellationToken).ConfigureAwait(false);
        if (_controllerManager is { HasExited: true })
        {
            // It exits when the apiserver goes away early in its life; a real one would be restarted by its kubelet.
            await _controllerManager.DisposeAsync().ConfigureAwait(false);
            StartControllerManager();
        }
    }

    /// <summary>Stops the apiserver (SIGTERM, or SIGKILL when <paramref name="hard"/>) and waits for it to exit.</summary>
    public async Task StopApiServerAsync(bool hard = false)
    {
        var apiServer = _apiServer;
        if (apiServer is null)
        {
            return;
        }
        if (hard)
        {
            await apiServer.SignalAsync("KILL").ConfigureAwait(false);
            await apiServer.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        else
        {
            await apiServer.StopAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        }
        await apiServer.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _apiServer = null;
        }
    }

    /// <summary>Starts the apiserver (after <see cref="StopApiServerAsync"/>) and waits until /readyz answers ok.</summary>
    public async Task StartApiServerAsync(CancellationToken cancellationToken = default)
    {
        var apiServer = ChildProcess.Start("kube-apiserver", Path.Combine(_binaries, "kube-apiserver"),
        [
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", $"--secure-port={ApiPort.ToString(CultureInfo.InvariantCulture)}",
            $"--etcd-servers=http://127.0.0.1:{_etcdPort.ToString(CultureInfo.InvariantCulture)}", "--endpoint-reconciler-type=none",
            $"--client-ca-file={_pki.CaCertificate}", $"--tls-cert-file={_pki.ServingCertificate}", $"--tls-private-key-file={_pki.ServingKey}",
            "--service-account-issuer=https://kubernetes.default.svc", $"--service-account-key-file={_pki.ServiceAccountPublicKey}",
            $"--service-account-signing-key-file={_pki.ServiceAccountPrivateKey}", "--authorization-mode=Node,RBAC",
            "--service-cluster-ip-range=10.96.0.0/16", "--enable-admission-plugins=NodeRestriction,PodSecurity",
            "--shutdown-watch-termination-grace-period=5s",
            $"--audit-policy-file={Path.Combine(Directory, "audit-policy.yaml")}", $"--audit-log-path={AuditLog}", "--audit-log-format=json",
            "--audit-log-maxsize=0", "--v=1",
        ], Path.Combine(Directory, "logs", "kube-apiserver.log"));
        lock (_gate)
        {
            _apiServer = apiServer;
        }
        await WaitReadyAsync(apiServer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The requests ServiceAccounts made, from the audit log, as the emulator's request log records them; only those
    /// of <paramref name="user"/> (e.g. <c>system:serviceaccount:ns:name</c>) when given. Requests still open (watches)
    /// appear when they end.
    /// </summary>
    public IReadOnlyList<RequestLogEntry> ServiceAccountRequests(string? user = null)
    {
        if (!File.Exists(AuditLog))
        {
            return [];
        }
        var entries = new List<RequestLogEntry>();
        using var stream = new FileStream(AuditLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                continue; // a line still being written
            }
            using (document)
            {
                var e = document.RootElement;
                if (user is not null && Text(e, "user", "username") != user)
                {
                    continue;
                }
                var uri = Text(e, "requestURI");
                var query = uri.IndexOf('?', StringComparison.Ordinal);
                entries.Add(new RequestLogEntry(
                    DateTimeOffset.Parse(Text(e, "stageTimestamp"), CultureInfo.InvariantCulture),
                    Method(Text(e, "verb")),
                    query < 0 ? uri : uri[..query],
                    Text(e, "verb"),
                    Text(e, "objectRef", "apiGroup"),
                    Text(e, "objectRef", "resource"),
                    Text(e, "objectRef", "subresource"),
                    Text(e, "objectRef", "namespace"),
                    Text(e, "objectRef", "name"),
                    e.TryGetProperty("responseStatus", out var status) && status.TryGetProperty("code", out var code) ? code.GetInt32() : 0,
                    query < 0 ? "" : uri[(query + 1)..]));
            }
        }
        return entries;
    }

    /// <summary>The last lines a component logged (kube-apiserver, kube-controller-manager, etcd).</summary>
    public string Tail(string component, int lines = 40)
    {
        var path = Path.Combine(Directory, "logs", $"{component}.log");
        return File.Exists(path)
            ? string.Join('\n', File.ReadLines(path).TakeLast(lines))
            : $"(no log for {component})";
    }

    public async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        foreach (var child in new[] { _controllerManager, _apiServer, _etcd })
        {
            if (child is not null)
            {
                await child.DisposeAsync().ConfigureAwait(false);
            }
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A log file still held: the directory is reaped with the next run's stale children.
        }
    }

    private async Task StartEtcdAsync(CancellationToken cancellationToken)
    {
        var client = $"http://127.0.0.1:{_etcdPort.ToString(CultureInfo.InvariantCulture)}";
        var peer = $"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}";
        var data = Path.Combine(Directory, "etcd");
        System.IO.Directory.CreateDirectory(data);
        ControlPlanePki.OwnerOnly(data, directory: true);
        _etcd = ChildProcess.Start("etcd", Path.Combine(_binaries, "etcd"),
        [
            "--name=real", $"--data-dir={data}", $"--listen-client-urls={client}", $"--advertise-client-urls={client}",
            $"--listen-peer-urls={peer}", $"--initial-advertise-peer-urls={peer}", $"--initial-cluster=real={peer}",
            "--initial-cluster-state=new",
        ], Path.Combine(Directory, "logs", "etcd.log"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await PollAsync("etcd", _etcd, async () =>
        {
            using var response = await http.GetAsync(new Uri($"{client}/health"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Contains("true", StringComparison.Ordinal);
        }, cancellationToken).ConfigureAwait(false);
    }

    private void StartControllerManager() =>
        _controllerManager = ChildProcess.Start("kube-controller-manager", Path.Combine(_binaries, "kube-controller-manager"),
        [
            $"--kubeconfig={Path.Combine(Directory, "kcm.kubeconfig")}", "--secure-port=0", "--leader-elect=false",
            "--use-service-account-credentials=true", $"--service-account-private-key-file={_pki.ServiceAccountPrivateKey}",
            $"--root-ca-file={_pki.CaCertificate}", $"--cluster-signing-cert-file={_pki.CaCertificate}",
            $"--cluster-signing-key-file={_pki.CaKey}", "--service-cluster-ip-range=10.96.0.0/16",
            "--controllers=*,-service-ca-certificate-publisher-controller", "--v=1",
        ], Path.Combine(Directory, "logs", "kube-controller-manager.log"));

    private async Task WaitReadyAsync(ChildProcess apiServer, CancellationToken cancellationToken)
    {
        var http = ((k8s.Kubernetes)Admin).HttpClient;
        await PollAsync("kube-apiserver", apiServer, async () =>
        {
            using var response = await http.GetAsync(new Uri(Server, "/readyz"), cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls <paramref name="ready"/> every 200 ms for up to 3 minutes; fails at once, with its log, if the process exits.</summary>
    private async Task PollAsync(string what, ChildProcess process, Func<Task<bool>> ready, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{what} exited with code {process.ExitCode} before it was ready:\n{Tail(what)}");
            }
            try
            {
                if (await ready().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                // Not listening yet.
            }
            if (TimeProvider.System.GetElapsedTime(deadline) > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"{what} was not ready within 3 minutes:\n{Tail(what)}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }

    private void WriteKubeconfig(string path, string user, string? certificate, string? key, string? token)
    {
        static string Data(string file) => Convert.ToBase64String(File.ReadAllBytes(file));
        var credentials = token is not null
            ? $"    token: {token}"
            : $"    client-certificate-data: {Data(certificate!)}\n    client-key-data: {Data(key!)}";
        var text = new StringBuilder()
            .Append("apiVersion: v1\nkind: Config\nclusters:\n- name: real\n  cluster:\n")
            .Append(CultureInfo.InvariantCulture, $"    server: {Server.ToString().TrimEnd('/')}\n")
            .Append(CultureInfo.InvariantCulture, $"    certificate-authority-data: {Data(_pki.CaCertificate)}\n")
            .Append(CultureInfo.InvariantCulture, $"users:\n- name: {user}\n  user:\n{credentials}\n")
            .Append(CultureInfo.InvariantCulture, $"contexts:\n- name: real\n  context:\n    cluster: real\n    user: {user}\n    namespace: default\n")
            .Append("current-context: real\n")
            .ToString();
        File.WriteAllText(path, text);
        ControlPlanePki.OwnerOnly(path);
    }

    private static string Method(string verb) => verb switch
    {
        "get" or "list" or "watch" => "GET",
        "create" => "POST",
        "update" => "PUT",
        "patch" => "PATCH",
        "delete" or "deletecollection" => "DELETE",
        _ => "",
    };

    private static string Text(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return "";
            }
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
