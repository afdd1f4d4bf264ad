using Operator.Testing.ControlPlane;
using Operator.Testing.Kubernetes;
using Operator.Tests.Deploy;
using Operator.Tests.Kubernetes;

namespace Operator.Tests.Lane;

/// <summary>
/// A Kubernetes API for the lane's end-to-end tests, installed exactly as a user installs the operator: the CRDs, the
/// operator's namespace and the shipped RBAC applied with kubectl from <c>manifests/</c>, the namespaces of the guide
/// created, and a kubeconfig of the operator's ServiceAccount (<see cref="OperatorKubeconfig"/>), so an operator
/// started from it has exactly the shipped permissions. <see cref="Admin"/> and <see cref="Kubectl"/> act as the
/// cluster admin. The same test code runs on both backends; where they differ (the emulator's request log does not
/// tell users apart), the difference is here, not in the tests. The caller must dispose it.
/// </summary>
internal abstract class LaneControlPlane : IAsyncDisposable
{
    public const string OperatorUser = $"system:serviceaccount:{Manifest.OperatorNamespace}:{Manifest.OperatorServiceAccount}";

    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("lane-kubectl-");
    private IKubernetes? _admin;

    public abstract LaneBackend Backend { get; }

    /// <summary>For messages: which API server this is.</summary>
    public abstract string Description { get; }

    public abstract string AdminKubeconfig { get; }

    /// <summary>A kubeconfig of the operator's ServiceAccount, with the shipped RBAC.</summary>
    public string OperatorKubeconfig => Path.Combine(_home.FullName, "operator.kubeconfig");

    public IKubernetes Admin => _admin ??= new OperatorKubernetesClient(KubernetesClientConfiguration.BuildConfigFromConfigFile(AdminKubeconfig), EcsOperatorModule.Json);

    /// <summary>A client acting as the operator's ServiceAccount.</summary>
    public IKubernetes CreateOperatorClient() => new OperatorKubernetesClient(KubernetesClientConfiguration.BuildConfigFromConfigFile(OperatorKubeconfig), EcsOperatorModule.Json);

    public static async Task<LaneControlPlane> StartAsync(LaneBackend backend)
    {
        LaneControlPlane plane = backend switch
        {
            LaneBackend.Emulator => new EmulatedLaneControlPlane(await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions
            {
                BookmarkInterval = TimeSpan.FromSeconds(5),
                WatchEventOrder = WatchEventOrder.Random,
                EnforceRbac = true,
            })),
            _ => new RealLaneControlPlane(await RealControlPlane.StartAsync()),
        };
        try
        {
            await plane.InstallAsync();
            return plane;
        }
        catch
        {
            await plane.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Restarts the API server: SIGTERM (a graceful stop that drains) or, <paramref name="hard"/>, SIGKILL; down
    /// (connections refused) for <paramref name="downFor"/>; completes when it serves again.
    /// </summary>
    public abstract Task RestartApiServerAsync(bool hard, TimeSpan downFor);

    /// <summary>Every request the operator's ServiceAccount made (on the emulator: every request after <see cref="ResetRequestLog"/>).</summary>
    public abstract IReadOnlyList<RequestLogEntry> OperatorRequests();

    /// <summary>Forgets the requests so far (the emulator's log cannot tell the operator from the test).</summary>
    public abstract void ResetRequestLog();

    /// <summary>Runs kubectl as the admin; fails the test on a non-zero exit unless <paramref name="mayFail"/>.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(IEnumerable<string> args, string? stdin = null, bool mayFail = false,
        TimeSpan? timeout = null)
    {
        using var kubectl = KubectlProcess.Start(AdminKubeconfig, _home.FullName, args, stdin);
        await kubectl.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(120));
        if (!mayFail && kubectl.ExitCode != 0)
        {
            Assert.Fail($"kubectl {string.Join(' ', args)} failed on {Description} ({kubectl.ExitCode}): {kubectl.Stderr}{kubectl.Stdout}");
        }
        return (kubectl.ExitCode, kubectl.Stdout, kubectl.Stderr);
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) => KubectlAsync(args, stdin: null);

    public virtual async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        await DisposeBackendAsync();
        _home.Delete(recursive: true);
    }

    protected abstract ValueTask DisposeBackendAsync();

    protected abstract Task WriteOperatorKubeconfigAsync(string path);

    private async Task InstallAsync()
    {
        var root = RepositoryLayout.Root;
        await KubectlAsync("apply", "-f", Path.Combine(root, "manifests", "crds"));
        await KubectlAsync("apply", "-f", Path.Combine(root, "manifests", "manager", "namespace.yaml"));
        await KubectlAsync("apply", "-k", Path.Combine(root, "manifests", "rbac"));
        foreach (var ns in new[] { "development", "production" })
        {
            await KubectlAsync("create", "namespace", ns);
        }
        await KubectlAsync("wait", "--for=condition=Established", "--timeout=60s",
            "crd/ecsclusters.aws-infra-operator.runner.codes", "crd/awsproviders.aws-infra-operator.runner.codes");
        await WriteOperatorKubeconfigAsync(OperatorKubeconfig);
    }

    private sealed class EmulatedLaneControlPlane(KubeApiEmulator emulator) : LaneControlPlane
    {
        private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), $"lane-emulator-{Guid.NewGuid():N}.kubeconfig");

        public override LaneBackend Backend => LaneBackend.Emulator;
        public override string Description => "the Kubernetes API emulator";
        public override string AdminKubeconfig => File.Exists(_kubeconfig) ? _kubeconfig : emulator.WriteKubeconfig(_kubeconfig);

        public KubeApiEmulator Emulator => emulator;

        public override Task RestartApiServerAsync(bool hard, TimeSpan downFor) =>
            emulator.RestartAsync(new KubeApiRestartOptions { Kill = hard, RefuseConnectionsFor = downFor });

        public override IReadOnlyList<RequestLogEntry> OperatorRequests() => [.. emulator.Requests.Entries.Where(e => e.User == OperatorUser)];

        public override void ResetRequestLog()
        {
            // The request log names the user: nothing to forget.
        }

        protected override Task WriteOperatorKubeconfigAsync(string path)
        {
            emulator.WriteKubeconfig(path, emulator.IssueServiceAccountToken(Manifest.OperatorNamespace, Manifest.OperatorServiceAccount));
            return Task.CompletedTask;
        }

        protected override async ValueTask DisposeBackendAsync()
        {
            await emulator.DisposeAsync();
            File.Delete(_kubeconfig);
        }
    }

    private sealed class RealLaneControlPlane(RealControlPlane real) : LaneControlPlane
    {
        public override LaneBackend Backend => LaneBackend.Real;
        public override string Description => $"a real kube-apiserver {RealApiServerBinaries.Version}";
        public override string AdminKubeconfig => real.AdminKubeconfig;

        public RealControlPlane Real => real;

        public override Task RestartApiServerAsync(bool hard, TimeSpan downFor) => real.RestartApiServerAsync(hard, downFor);

        public override IReadOnlyList<RequestLogEntry> OperatorRequests() => real.ServiceAccountRequests(OperatorUser);

        public override void ResetRequestLog()
        {
            // The audit log names the user: nothing to forget.
        }

        protected override Task WriteOperatorKubeconfigAsync(string path) =>
            real.WriteServiceAccountKubeconfigAsync(Manifest.OperatorNamespace, Manifest.OperatorServiceAccount, path);

        protected override ValueTask DisposeBackendAsync() => real.DisposeAsync();
    }
}
