using Microsoft.Extensions.DependencyInjection;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Hosting;
using Operator.Testing.Aws;
using Operator.Testing.Kubernetes;

namespace Operator.Local;

/// <summary>
/// The operator on a laptop with no cluster and no AWS account: starts the Kubernetes API emulator (CRDs installed,
/// a kubeconfig written), the ECS + STS emulator (accepting the user guide's static "test" keys and any web identity
/// token, so both of its providers authenticate), and the operator wired to both; prints the next commands and every
/// state change of the custom objects. Ctrl-C stops everything.
/// Flags: --kubeconfig-out FILE (default ./infra-operator-local.kubeconfig), --api-port N (default 0: a free port),
/// --provisioning-seconds N (how long new ECS clusters stay PROVISIONING; default 3); other flags go to the operator
/// and win over local mode's defaults (<see cref="InProcessStack.EmulatorSettings"/>).
/// </summary>
internal static class LocalMode
{
    /// <summary>Shorter than the operator's 10 minutes so drift made with the aws CLI is corrected while one watches.</summary>
    public static readonly TimeSpan DefaultResync = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        var kubeconfig = Path.GetFullPath(Flag(ref args, "--kubeconfig-out") ?? "infra-operator-local.kubeconfig");
        var apiPort = int.Parse(Flag(ref args, "--api-port") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var provisioning = TimeSpan.FromSeconds(double.Parse(Flag(ref args, "--provisioning-seconds") ?? "3", System.Globalization.CultureInfo.InvariantCulture));

        await using var stack = await InProcessStack.StartAsync(new InProcessStackOptions
        {
            Kube = new KubeApiEmulatorOptions { Port = apiPort, KubeconfigPath = kubeconfig },
            Aws = new AwsEmulatorOptions { ProvisioningDuration = provisioning },
            CrdYaml = InProcessStack.EmbeddedCrds(),
            Namespaces = ["development", "production", "infra-operator-system"],
            // The user guide's Secret holds access-key-id "test" / secret-access-key "test".
            Credentials = [new StackCredential("test", "test", "local-user")],
            WebIdentityToken = "local-mode-web-identity-token",
        });

        // Local mode's settings are defaults only: any operator flag the user gives wins (--log-format json,
        // --resync-period, --aws-endpoint, ...).
        var printer = new StatePrinter(Console.Out);
        await stack.StartOperatorAsync(args, resync: DefaultResync, beforeStart: services =>
        {
            services.GetRequiredService<Informer<ECSCluster>>().AddHandler(printer.Clusters);
            services.GetRequiredService<Informer<AWSProvider>>().AddHandler(printer.Providers);
        });
        var app = stack.App!;

        PrintBanner(kubeconfig, stack.Kube.BaseAddress, stack.Aws.Endpoint, stack.OperatorAddresses, app.Services.GetRequiredService<OperatorOptions>());
        await app.WaitForShutdownAsync();
        Console.WriteLine("infra-operator local mode stopped.");
        return Environment.ExitCode;
    }

    private static string? Flag(ref string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0 || i + 1 >= args.Length)
        {
            return null;
        }
        var value = args[i + 1];
        args = [.. args[..i], .. args[(i + 2)..]];
        return value;
    }

    private static void PrintBanner(string kubeconfig, Uri api, Uri aws, IEnumerable<string> urls, OperatorOptions options)
    {
        var k = $"kubectl --kubeconfig {kubeconfig}";
        var endpoint = aws.ToString().TrimEnd('/');
        Console.WriteLine($$"""

            infra-operator is running in local mode.
              Kubernetes API emulator: {{api}}   (kubeconfig: {{kubeconfig}})
              ECS + STS emulator:      {{aws}}
              metrics and probes:      {{string.Join(", ", urls)}}  (/metrics, /healthz, /readyz)
              operator:                resync every {{options.ResyncPeriod}}, {{options.LogFormat}} logs in this terminal (no pods: `kubectl logs` has nothing to read)

            The aws CLI reaches the ECS emulator (the user guide's ECS commands work as written) with:
              export AWS_ENDPOINT_URL={{endpoint}} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

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
