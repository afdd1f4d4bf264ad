using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Operator.CommandLine;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Clusters;
using Operator.Core.Informers;
using Operator.Hosting;
using Operator.TestBed;
using Operator.Testing.Aws;
using Operator.Testing.Kubernetes;

namespace Operator.Local;

/// <summary>
/// The operator on a laptop with no cluster and no AWS account: starts the Kubernetes API emulator (CRDs installed,
/// a kubeconfig written), the ECS + STS emulator (accepting the user guide's static "test" keys and any web identity
/// token, so both of its providers authenticate), and the operator wired to both; prints the next commands and every
/// state change of the custom objects. Ctrl-C stops everything.
/// Guarantees: the flags are checked strictly (<see cref="LocalFlags"/>, then the operator's, which win over local
/// mode's defaults, <see cref="InProcessStack.EmulatorSettings"/>); one local mode per kubeconfig
/// (<see cref="LocalInstanceLock"/>); without <c>--state-dir</c> everything lives in memory and a restart starts empty
/// on new ports; with it, the objects, the ECS clusters and the ports come back (<see cref="LocalState"/>), saved
/// within <see cref="SaveInterval"/> of a change and once more on Ctrl-C.
/// </summary>
internal static class LocalMode
{
    /// <summary>Shorter than the operator's 10 minutes so drift made with the aws CLI is corrected while one watches.</summary>
    public static readonly TimeSpan DefaultResync = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    public const string DefaultKubeconfig = "infra-operator-local.kubeconfig";

    public static Task<int> RunAsync(string[] args) =>
        Startup.RunAsync(args, LocalFlags.Usage,
            [new FlagSection("Local mode's flags:", LocalFlags.All), new FlagSection("Operator flags (they win over local mode's defaults):", OperatorFlags.All)],
            () => RunParsedAsync(FlagParser.Parse(args, [.. LocalFlags.All, .. OperatorFlags.All])));

    private static async Task<int> RunParsedAsync(FlagParse flags)
    {
        var local = flags.Values;
        var kubeconfig = Path.GetFullPath(local.GetValueOrDefault(LocalFlags.KubeconfigOut) ?? DefaultKubeconfig);
        var stateDir = local.GetValueOrDefault(LocalFlags.StateDir) is { } dir ? Path.GetFullPath(dir) : null;
        var provisioning = TimeSpan.FromSeconds(double.Parse(local.GetValueOrDefault(LocalFlags.ProvisioningSeconds) ?? "3", CultureInfo.InvariantCulture));
        var requeues = new ClusterReconcilerOptions();
        requeues = requeues with
        {
            TransitionRequeue = Seconds(local.GetValueOrDefault(LocalFlags.TransitionRetrySeconds)) ?? requeues.TransitionRequeue,
            BlockedRequeue = Seconds(local.GetValueOrDefault(LocalFlags.BlockedRetrySeconds)) ?? requeues.BlockedRequeue,
        };

        using var instance = LocalInstanceLock.Acquire(kubeconfig);
        var saved = stateDir is null ? null : LocalState.Load(stateDir);
        var apiPort = local.GetValueOrDefault(LocalFlags.ApiPort) is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : saved?.ApiPort ?? 0;
        // The operator's own flags, as given; a saved metrics or health port is reused unless a flag names another.
        var operatorArgs = flags.Values.Where(v => OperatorFlags.All.Any(f => f.Name == v.Key)).SelectMany(v => new[] { v.Key, v.Value }).ToList();
        if (saved is not null)
        {
            AddUnlessGiven(operatorArgs, "--metrics-port", saved.MetricsPort);
            AddUnlessGiven(operatorArgs, "--health-port", saved.HealthPort);
        }

        await using var stack = await InProcessStack.StartAsync(new InProcessStackOptions
        {
            Kube = new KubeApiEmulatorOptions { Port = apiPort, KubeconfigPath = kubeconfig, AdminToken = saved?.AdminToken },
            Aws = new AwsEmulatorOptions { ProvisioningDuration = provisioning, Port = saved?.AwsPort ?? 0 },
            CrdYaml = InProcessStack.EmbeddedCrds(),
            Namespaces = ["development", "production", "infra-operator-system"],
            // The user guide's Secret holds access-key-id "test" / secret-access-key "test".
            Credentials = [new StackCredential("test", "test", "local-user")],
            WebIdentityToken = "local-mode-web-identity-token",
            KubeState = saved?.Kubernetes,
            EcsState = saved?.Ecs,
        });

        var printer = new StatePrinter(Console.Out);
        // Registered after the operator's own (equal unless a retry flag is given), so it is the one the reconciler gets.
        await stack.StartOperatorAsync([.. operatorArgs], resync: DefaultResync, compose: (builder, _) => builder.Services.AddSingleton(requeues), beforeStart: services =>
        {
            services.GetRequiredService<Informer<ECSCluster>>().AddHandler(printer.Clusters);
            services.GetRequiredService<Informer<AWSProvider>>().AddHandler(printer.Providers);
        });
        var app = stack.App!;
        var urls = stack.OperatorAddresses;
        var (metricsPort, healthPort) = (new Uri(urls[0]).Port, new Uri(urls[^1]).Port);

        PrintBanner(kubeconfig, stack, app.Services.GetRequiredService<OperatorOptions>(), stateDir, restored: saved is not null);
        if (stateDir is null)
        {
            await app.WaitForShutdownAsync();
        }
        else
        {
            var lifetime = app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
            var onDisk = saved;
            using var timer = new PeriodicTimer(SaveInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(lifetime.ApplicationStopping))
                {
                    onDisk = await LocalState.Capture(stack.Kube, stack.Aws, metricsPort, healthPort).SaveAsync(stateDir, onDisk);
                }
            }
            catch (OperationCanceledException)
            {
            }
            await stack.StopOperatorAsync();
            await LocalState.Capture(stack.Kube, stack.Aws, metricsPort, healthPort).SaveAsync(stateDir, onDisk);
        }
        Console.WriteLine("infra-operator local mode stopped.");
        return Environment.ExitCode;
    }

    private static TimeSpan? Seconds(string? value) => value is null ? null : TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture));

    private static void AddUnlessGiven(List<string> args, string flag, int value)
    {
        if (!args.Contains(flag))
        {
            args.AddRange([flag, value.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    private static void PrintBanner(string kubeconfig, InProcessStack stack, OperatorOptions options, string? stateDir, bool restored)
    {
        var k = $"kubectl --kubeconfig {kubeconfig}";
        var endpoint = stack.Aws.Endpoint.ToString().TrimEnd('/');
        var state = stateDir is null
            ? "in memory only: a restart starts empty, on new ports (keep it with --state-dir DIR)"
            : $"kept in {stateDir} ({(restored ? "restored" : "new")}): objects, ECS clusters and ports survive a restart";
        Console.WriteLine($$"""

            infra-operator is running in local mode.
              Kubernetes API emulator: {{stack.Kube.BaseAddress}}   (kubeconfig: {{kubeconfig}})
              ECS + STS emulator:      {{stack.Aws.Endpoint}}
              metrics and probes:      {{string.Join(", ", stack.OperatorAddresses)}}  (/metrics, /healthz, /readyz)
              operator:                resync every {{options.ResyncPeriod}}, {{options.LogFormat}} logs in this terminal (no pods: `kubectl logs` has nothing to read)
              state:                   {{state}}

            The aws CLI reaches the emulator for ECS and STS only (other services, e.g. service-quotas, still go to AWS) with:
              export AWS_ENDPOINT_URL_ECS={{endpoint}} AWS_ENDPOINT_URL_STS={{endpoint}} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

            Try, from the repository root:
              {{k}} apply -f manifests/samples/awsprovider-irsa.yaml
              {{k}} apply -f manifests/samples/ecscluster-fargate.yaml
              {{k}} wait --for=condition=Ready ecscluster/fargate-cluster --timeout=120s
              {{k}} get ecscluster
              {{k}} get ecscluster fargate-cluster -o jsonpath='{.status.clusterARN}'
              {{k}} describe ecscluster fargate-cluster
              {{k}} delete ecscluster fargate-cluster
            Press Ctrl-C to stop.

            """);
    }
}

/// <summary>Local mode's own flags; every other flag is the operator's (<see cref="OperatorFlags"/>).</summary>
internal static class LocalFlags
{
    public const string Usage = "Usage: dotnet run --project Operator.Local [-- flags]   (or: dotnet Operator.Local.dll [flags])";
    public const string KubeconfigOut = "--kubeconfig-out";
    public const string ApiPort = "--api-port";
    public const string ProvisioningSeconds = "--provisioning-seconds";
    public const string StateDir = "--state-dir";
    public const string TransitionRetrySeconds = "--transition-retry-seconds";
    public const string BlockedRetrySeconds = "--blocked-retry-seconds";
    private static readonly ClusterReconcilerOptions Requeues = new();

    // The setting keys are local mode's own: they never reach the operator's configuration.
    public static readonly IReadOnlyList<Flag> All =
    [
        new(KubeconfigOut, "Local:KubeconfigOut", FlagKind.Text, LocalMode.DefaultKubeconfig, "Where to write the kubeconfig of the Kubernetes API emulator (one local mode per file)."),
        new(ApiPort, "Local:ApiPort", FlagKind.Integer(0, 65535), "0: a free port, or the saved one with --state-dir", "Port of the Kubernetes API emulator."),
        new(ProvisioningSeconds, "Local:ProvisioningSeconds", FlagKind.Number(0, allowMin: true), "3", "How long a new ECS cluster stays PROVISIONING."),
        new(StateDir, "Local:StateDir", FlagKind.Text, "none: nothing survives a restart", "Keep the Kubernetes objects, the ECS clusters and the ports in this directory across restarts."),
        new(TransitionRetrySeconds, "Local:TransitionRetrySeconds", FlagKind.Integer(1, 86_400), Show(Requeues.TransitionRequeue),
            "How soon an ECSCluster is reconciled again while it is in transition (e.g. PROVISIONING, or going away in ECS)."),
        new(BlockedRetrySeconds, "Local:BlockedRetrySeconds", FlagKind.Integer(1, 86_400), Show(Requeues.BlockedRequeue),
            "How soon an ECSCluster is reconciled again while its deletion is blocked (e.g. ECS refuses it: services, tasks or instances) or its provider cannot be used."),
    ];

    private static string Show(TimeSpan period) => ((int)period.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
