using System.Reflection;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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
/// --provisioning-seconds N (how long new ECS clusters stay PROVISIONING; default 3); other flags go to the operator.
/// </summary>
internal static class LocalMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kubeconfig = Path.GetFullPath(Flag(ref args, "--kubeconfig-out") ?? "infra-operator-local.kubeconfig");
        var apiPort = int.Parse(Flag(ref args, "--api-port") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var provisioning = TimeSpan.FromSeconds(double.Parse(Flag(ref args, "--provisioning-seconds") ?? "3", System.Globalization.CultureInfo.InvariantCulture));

        await using var aws = await AwsEmulator.StartAsync(new AwsEmulatorOptions { ProvisioningDuration = provisioning });
        // The user guide's Secret holds access-key-id "test" / secret-access-key "test".
        aws.Credentials.Add("test", "test", AwsCredentialStore.DefaultAccountId, "local-user");

        var tokenDir = Directory.CreateTempSubdirectory("infra-operator-local-");
        var tokenFile = Path.Combine(tokenDir.FullName, "token");
        await File.WriteAllTextAsync(tokenFile, "local-mode-web-identity-token");
        Environment.SetEnvironmentVariable("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile);

        await using var kube = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions { Port = apiPort, KubeconfigPath = kubeconfig });
        foreach (var yaml in EmbeddedCrds())
        {
            kube.RegisterCrdYaml(yaml);
        }
        using var client = kube.CreateClient();
        foreach (var ns in new[] { "development", "production", "infra-operator-system" })
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }

        var app = OperatorHost.Build(args, EcsOperatorModule.Register, kube.CreateClient(), EmulatorSettings(aws.Endpoint, TimeSpan.FromSeconds(30)));
        var printer = new StatePrinter(Console.Out);
        app.Services.GetRequiredService<Informer<ECSCluster>>().AddHandler(printer.Clusters);
        app.Services.GetRequiredService<Informer<AWSProvider>>().AddHandler(printer.Providers);
        await app.StartAsync();

        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        PrintBanner(kubeconfig, kube.BaseAddress, aws.Endpoint, urls);
        await app.WaitForShutdownAsync();
        tokenDir.Delete(recursive: true);
        Console.WriteLine("infra-operator local mode stopped.");
        return Environment.ExitCode;
    }

    /// <summary>
    /// Operator settings for running against the in-process emulators: one replica (no Lease), the ECS + STS emulator
    /// as the AWS endpoint, readable logs, free ports for metrics and probes, and a provider policy that allows every
    /// endpoint, role and namespace (a laptop has no tenants; every example of the guide must work).
    /// </summary>
    public static Dictionary<string, string?> EmulatorSettings(Uri awsEndpoint, TimeSpan resync) => new()
    {
        ["LeaderElect"] = "false",
        ["AwsEndpoint"] = awsEndpoint.ToString(),
        ["LogFormat"] = "text",
        ["MetricsPort"] = "0",
        ["HealthPort"] = "0",
        ["ResyncPeriod"] = resync.ToString(),
        ["AllowedEndpoints"] = "*",
        ["AllowedRoleArns"] = "*",
        ["DefaultCredentialsNamespaces"] = "*",
    };

    private static IEnumerable<string> EmbeddedCrds()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return reader.ReadToEnd();
        }
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

    private static void PrintBanner(string kubeconfig, Uri api, Uri aws, IEnumerable<string> urls)
    {
        var k = $"kubectl --kubeconfig {kubeconfig}";
        Console.WriteLine($$"""

            infra-operator is running in local mode.
              Kubernetes API emulator: {{api}}   (kubeconfig: {{kubeconfig}})
              ECS + STS emulator:      {{aws}}
              metrics and probes:      {{string.Join(", ", urls)}}  (/metrics, /healthz, /readyz)

            Try, from the repository root:
              {{k}} apply -f manifests/samples/awsprovider-irsa.yaml
              {{k}} apply -f manifests/samples/ecscluster-fargate.yaml
              {{k}} wait --for=condition=Ready ecscluster/fargate-cluster --timeout=60s
              {{k}} get ecscluster
              {{k}} get ecscluster fargate-cluster -o jsonpath='{.status.clusterARN}'
              {{k}} describe ecscluster fargate-cluster
              {{k}} delete ecscluster fargate-cluster
            Press Ctrl-C to stop.

            """);
    }
}
