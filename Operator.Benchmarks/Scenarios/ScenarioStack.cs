using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Informers;
using Operator.Hosting;
using Operator.Testing;
using Operator.Testing.Aws;
using Operator.Testing.Kubernetes;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The whole product in one process over real HTTP, as Operator.Tests' OperatorTestBed composes it: the Kubernetes API
/// emulator, the ECS + STS emulator, and the operator host (OperatorHost + EcsOperatorModule) with settings overrides.
/// One static-credentials AWSProvider <c>bench/p</c>. The operator can be stopped and started again (e.g. as the naive
/// baseline) over the same emulators.
/// </summary>
internal sealed class ScenarioStack : IAsyncDisposable
{
    public const string Namespace = "bench";
    public const string Provider = "p";
    public const string Region = "us-east-1";
    public const string Account = AwsCredentialStore.DefaultAccountId;
    private const string AccessKey = "bench";
    private const string SecretKey = "bench-secret";

    private ScenarioStack(KubeApiEmulator kube, IKubernetes client, AwsEmulator aws)
    {
        Kube = kube;
        Client = client;
        Aws = aws;
    }

    public KubeApiEmulator Kube { get; }
    public IKubernetes Client { get; }
    public AwsEmulator Aws { get; }
    public WebApplication? App { get; private set; }

    /// <summary>The ECSCluster cache of the running operator (what its controller and drift scanner see).</summary>
    public ObjectStore<ECSCluster> OperatorCache => App!.Services.GetRequiredService<Informer<ECSCluster>>().Store;

    public static async Task<ScenarioStack> StartAsync(AwsEmulatorOptions awsOptions)
    {
        var kube = await KubeApiEmulator.StartAsync(new KubeApiEmulatorOptions
        {
            CrdDirectory = RepositoryLayout.CrdDirectory,
            // A real API server bookmarks about once a minute; a short interval only adds load to the measurement.
            BookmarkInterval = TimeSpan.FromSeconds(30),
            // Creating and deleting 10,000 objects makes ~50,000 watch events; keep enough history that no watch expires.
            HistoryLimit = 200_000,
        });
        var client = kube.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
        var aws = await AwsEmulator.StartAsync(awsOptions);
        aws.Credentials.Add(AccessKey, SecretKey, Account, "bench");
        var stack = new ScenarioStack(kube, client, aws);
        await stack.CreateProviderAsync();
        return stack;
    }

    /// <summary>Starts the operator with <paramref name="settings"/> over the defaults; <paramref name="compose"/> runs after the module.</summary>
    public async Task StartOperatorAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder, OperatorOptions>? compose = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["LeaderElect"] = "false",
            ["AwsEndpoint"] = Aws.Endpoint.ToString(),
            ["LogFormat"] = "text",
            ["Logging:LogLevel:Default"] = "Warning",
            ["MetricsPort"] = "0",
            ["HealthPort"] = "0",
            ["DrainTimeout"] = "00:00:05",
        };
        foreach (var (k, v) in settings)
        {
            overrides[k] = v;
        }
        App = OperatorHost.Build([], (builder, options) =>
        {
            EcsOperatorModule.Register(builder, options);
            compose?.Invoke(builder, options);
        }, Kube.CreateClient(), overrides);
        await App.StartAsync();
    }

    public async Task StopOperatorAsync()
    {
        if (App is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            App = null;
        }
    }

    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>
    /// An ECSCluster named <paramref name="name"/> (the ECS cluster has the same name) with two tags of its own; with
    /// <paramref name="asApplied"/>, carrying the annotation <c>kubectl apply</c> writes (the guide's way to create them).
    /// </summary>
    public static ECSCluster NewCluster(string name, bool asApplied)
    {
        var obj = new ECSCluster
        {
            ApiVersion = ApiGroup.ApiVersion,
            Kind = ECSCluster.KindName,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Spec = new ECSClusterSpec
            {
                ProviderRef = new ProviderReference { Name = Provider },
                ClusterName = name,
                Tags = new Dictionary<string, string> { ["team"] = "bench", ["cost-center"] = "1234" },
            },
        };
        if (asApplied)
        {
            obj.Metadata.Annotations = new Dictionary<string, string> { [LastAppliedAnnotation] = KubernetesJson.Serialize(obj) + "\n" };
        }
        return obj;
    }

    public async ValueTask DisposeAsync()
    {
        await StopOperatorAsync();
        Client.Dispose();
        await Aws.DisposeAsync();
        await Kube.DisposeAsync();
    }

    private async Task CreateProviderAsync()
    {
        const string secretName = "p-credentials";
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = secretName, NamespaceProperty = Namespace },
            StringData = new Dictionary<string, string> { ["access-key-id"] = AccessKey, ["secret-access-key"] = SecretKey },
        }, Namespace);
        var provider = new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion,
            ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = Provider, ["namespace"] = Namespace },
            ["spec"] = new JsonObject
            {
                ["region"] = Region,
                ["accessKeyIDRef"] = new JsonObject { ["name"] = secretName, ["key"] = "access-key-id" },
                ["secretAccessKeyRef"] = new JsonObject { ["name"] = secretName, ["key"] = "secret-access-key" },
                ["defaultTags"] = new JsonObject { ["managed-by"] = "infra-operator" },
            },
        };
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(provider, ApiGroup.Group, ApiGroup.Version, Namespace, AWSProvider.PluralName);
    }
}
