using Microsoft.AspNetCore.Builder;
using Operator.TestBed;
using Operator.Testing;
using Operator.Testing.Kubernetes;

namespace Operator.Benchmarks.Scenarios;

/// <summary>
/// The whole product in one process over real HTTP, composed by <see cref="InProcessStack"/> as local mode and the
/// tests compose it, with emulator limits sized for 10,000 objects and operator logs at Warning. One static-credentials
/// AWSProvider <c>bench/p</c>. The operator can be stopped and started again (e.g. as the naive baseline) over the same
/// emulators.
/// </summary>
internal sealed class ScenarioStack : IAsyncDisposable
{
    public const string Namespace = "bench";
    public const string Provider = "p";
    public const string Region = "us-east-1";
    public const string Account = AwsCredentialStore.DefaultAccountId;
    private const string AccessKey = "bench";
    private const string SecretKey = "bench-secret";

    private readonly InProcessStack _stack;

    private ScenarioStack(InProcessStack stack) => _stack = stack;

    public KubeApiEmulator Kube => _stack.Kube;
    public IKubernetes Client => _stack.Client;
    public AwsEmulator Aws => _stack.Aws;
    public WebApplication? App => _stack.App;

    /// <summary>The ECSCluster cache of the running operator (what its controller and drift scanner see).</summary>
    public ObjectStore<ECSCluster> OperatorCache => App!.Services.GetRequiredService<Informer<ECSCluster>>().Store;

    public static async Task<ScenarioStack> StartAsync(AwsEmulatorOptions awsOptions)
    {
        var inner = await InProcessStack.StartAsync(new InProcessStackOptions
        {
            Kube = new KubeApiEmulatorOptions
            {
                CrdDirectory = RepositoryLayout.CrdDirectory,
                // A real API server bookmarks about once a minute; a short interval only adds load to the measurement.
                BookmarkInterval = TimeSpan.FromSeconds(30),
                // Creating and deleting 10,000 objects makes ~50,000 watch events; keep enough history that no watch expires.
                HistoryLimit = 200_000,
            },
            Aws = awsOptions,
            Namespaces = [Namespace],
            Credentials = [new StackCredential(AccessKey, SecretKey, "bench", Account)],
        });
        var stack = new ScenarioStack(inner);
        await stack.CreateProviderAsync();
        return stack;
    }

    /// <summary>Starts the operator with <paramref name="settings"/> over the defaults; <paramref name="compose"/> runs after the module.</summary>
    /// <summary>An ECS client of the benchmark's account straight to the emulator (no client bucket): benchmark-only extra calls.</summary>
    public Operator.Core.Aws.Ecs.IEcsClient NewEcsClient() => new Operator.Core.Aws.Ecs.EcsClient(new HttpClient(),
        new Amazon.Runtime.BasicAWSCredentials(AccessKey, SecretKey), new Operator.Core.Aws.Ecs.EcsClientOptions { Region = Region, Endpoint = Aws.Endpoint });

    public Task StartOperatorAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder, OperatorOptions>? compose = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["DrainTimeout"] = "00:00:05",
        };
        foreach (var (k, v) in settings)
        {
            overrides[k] = v;
        }
        return _stack.StartOperatorAsync(settings: overrides, compose: compose);
    }

    public Task StopOperatorAsync() => _stack.StopOperatorAsync();

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
            obj.Metadata.Annotations = new Dictionary<string, string> { [LastAppliedAnnotation] = EcsOperatorModule.Json.Serialize(obj) + "\n" };
        }
        return obj;
    }

    public ValueTask DisposeAsync() => _stack.DisposeAsync();

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
