using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Operator.Core.Api.V1Alpha1;
using Operator.TestBed;

namespace Operator.Tests.Support;

/// <summary>
/// The whole product over real HTTP, composed by <see cref="InProcessStack"/> as local mode and the benchmarks compose
/// it: the operator host (EcsOperatorModule, as in production) talking to the Kubernetes API emulator with the
/// KubernetesClient and to the ECS + STS emulator with SigV4-signed requests. The guide's static keys ("test"/"test")
/// are known to the AWS emulator, and the stack's web identity token file is injected, so both of the guide's
/// providers authenticate. Every log line is captured.
/// </summary>
internal sealed class OperatorTestBed : IAsyncDisposable
{
    public const string Account = AwsCredentialStore.DefaultAccountId;

    private OperatorTestBed(InProcessStack stack, LogCapture logs)
    {
        Stack = stack;
        Kube = KubeTestBed.Over(stack.Kube);
        Logs = logs;
    }

    public InProcessStack Stack { get; }
    public KubeTestBed Kube { get; }
    public AwsEmulator Aws => Stack.Aws;
    public LogCapture Logs { get; }
    public WebApplication? App => Stack.App;
    public IKubernetes Client => Kube.Client;

    public static async Task<OperatorTestBed> StartAsync(
        TimeSpan? resync = null, AwsEmulatorOptions? awsOptions = null, bool startOperator = true, Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null, Operator.Testing.Kubernetes.WatchEventOrder? watchOrder = null)
    {
        var stack = await InProcessStack.StartAsync(new InProcessStackOptions
        {
            Kube = KubeTestBed.Options(watchOrder: watchOrder),
            Aws = awsOptions ?? new AwsEmulatorOptions(),
            Namespaces = ["development", "production", "infra-operator-system"],
            Credentials = [new StackCredential("test", "test", "guide-user", Account), new StackCredential("test-inspector", "inspector-secret", "test-inspector", Account)],
        });
        var bed = new OperatorTestBed(stack, new LogCapture())
        {
            Resync = resync ?? TimeSpan.FromMinutes(10), Settings = settings ?? [], Services = services,
        };
        if (startOperator)
        {
            await bed.StartOperatorAsync();
        }
        return bed;
    }

    private TimeSpan Resync { get; init; }
    private Dictionary<string, string?> Settings { get; init; } = [];
    private Action<IServiceCollection>? Services { get; init; }

    public Task StartOperatorAsync()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["DrainTimeout"] = "00:00:05",
            ["AwsMaxRetries"] = "8",
        };
        foreach (var (k, v) in Settings)
        {
            overrides[k] = v;
        }
        return Stack.StartOperatorAsync(settings: overrides, resync: Resync, compose: (builder, _) =>
        {
            builder.Logging.AddProvider(Logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            Services?.Invoke(builder.Services);
        });
    }

    public Task StopOperatorAsync() => Stack.StopOperatorAsync();

    /// <summary>
    /// For <c>services</c>: replaces the options record of type <typeparamref name="T"/> that the host or the module
    /// registered (as an instance) with <paramref name="edit"/>'s copy of it, so every other setting keeps the value the
    /// operator's settings gave it.
    /// </summary>
    public static void Adjust<T>(IServiceCollection services, Func<T, T> edit)
        where T : class =>
        services.AddSingleton(edit(services.Last(d => d.ServiceType == typeof(T)).ImplementationInstance as T
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered as an instance")));

    /// <summary>
    /// For <c>services</c>: API server failures are reported after <paramref name="grace"/> instead of the product's
    /// <see cref="ApiServerHiccups.DefaultGrace"/>, and the work queue's per-item back-off stops growing at
    /// <paramref name="maxRetryDelay"/>: a test of what happens once such a failure has lasted, and of its retries,
    /// then waits seconds rather than minutes.
    /// </summary>
    public static void ShortApiServerHiccups(IServiceCollection services, TimeSpan grace, TimeSpan maxRetryDelay)
    {
        services.AddSingleton(sp => new ApiServerHiccups(sp.GetRequiredService<TimeProvider>()) { Grace = grace });
        Adjust<ControllerOptions>(services, o => o with { RateLimiting = o.RateLimiting with { MaxDelay = maxRetryDelay } });
    }

    /// <summary>The address the operator's metrics and probes answer on.</summary>
    public Uri OperatorAddress => new(App!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
        .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>Creates every object of a sample file, optionally in another namespace than the file says.</summary>
    public async Task ApplySampleAsync(string file, string? ns = null, Action<JsonObject>? edit = null)
    {
        var path = Path.Combine(RepositoryLayout.SampleDirectory, file);
        foreach (var doc in YamlJson.ParseAll(await File.ReadAllTextAsync(path)))
        {
            var obj = doc!.AsObject();
            edit?.Invoke(obj);
            await CreateAsync(obj, ns);
        }
    }

    public async Task CreateAsync(JsonObject obj, string? ns = null)
    {
        var meta = obj["metadata"]!.AsObject();
        ns ??= meta["namespace"]?.GetValue<string>() ?? "default";
        meta["namespace"] = ns;
        switch (obj["kind"]!.GetValue<string>())
        {
            case "Secret":
                await Client.CoreV1.CreateNamespacedSecretAsync(EcsOperatorModule.Json.Deserialize<V1Secret>(obj.ToJsonString()), ns);
                break;
            case AWSProvider.KindName:
                await Client.CustomObjects.CreateNamespacedCustomObjectAsync(obj, ApiGroup.Group, ApiGroup.Version, ns, AWSProvider.PluralName);
                break;
            case ECSCluster.KindName:
                await Client.CustomObjects.CreateNamespacedCustomObjectAsync(obj, ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName);
                break;
            default:
                throw new ArgumentException($"unsupported kind {obj["kind"]}");
        }
    }

    /// <summary>
    /// A static-credentials provider named <paramref name="name"/> in <paramref name="ns"/> (the guide's "localstack"
    /// shape). With <paramref name="secretCachedFirst"/>, the provider is created only once the running operator's
    /// Secret informer holds its Secret: the Secret's own event, when it comes after the provider's, checks the
    /// provider again, and a test that counts the provider's checks must not see that second one.
    /// </summary>
    public async Task CreateStaticProviderAsync(string ns, string name, string accessKey = "test", string secretKey = "test",
        Action<JsonObject>? spec = null, bool secretCachedFirst = false)
    {
        var secretName = $"{name}-credentials";
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = secretName, NamespaceProperty = ns },
            StringData = new Dictionary<string, string> { ["access-key-id"] = accessKey, ["secret-access-key"] = secretKey },
        }, ns);
        if (secretCachedFirst)
        {
            var secrets = App!.Services.GetRequiredService<Operator.Core.Informers.Informer<PartialObjectMetadata<V1Secret>>>().Store;
            await Eventually.UntilAsync(() => secrets.Get($"{ns}/{secretName}") is not null, $"Secret {ns}/{secretName} in the operator's cache");
        }
        var provider = new JsonObject
        {
            ["apiVersion"] = ApiGroup.ApiVersion,
            ["kind"] = AWSProvider.KindName,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["region"] = "us-east-1",
                ["accessKeyIDRef"] = new JsonObject { ["name"] = secretName, ["key"] = "access-key-id" },
                ["secretAccessKeyRef"] = new JsonObject { ["name"] = secretName, ["key"] = "secret-access-key" },
                ["defaultTags"] = new JsonObject { ["managed-by"] = "infra-operator" },
            },
        };
        spec?.Invoke(provider["spec"]!.AsObject());
        await CreateAsync(provider, ns);
    }

    public async Task<AWSProvider?> GetProviderAsync(string ns, string name)
    {
        try
        {
            var obj = await Client.CustomObjects.GetNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, AWSProvider.PluralName, name);
            return EcsOperatorModule.Json.Deserialize<AWSProvider>(EcsOperatorModule.Json.Serialize(obj));
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<ECSCluster?> GetClusterAsync(string ns, string name) => Kube.GetClusterAsync(ns, name);

    /// <summary>An ECS client of the same account under other keys: what a user's `aws ecs` would see (and do, out of band).</summary>
    public Operator.Core.Aws.Ecs.IEcsClient Ecs => _ecs ??= new Operator.Core.Aws.Ecs.EcsClient(new HttpClient(),
        new Amazon.Runtime.BasicAWSCredentials("test-inspector", "inspector-secret"), new Operator.Core.Aws.Ecs.EcsClientOptions { Region = "us-east-1", Endpoint = Aws.Endpoint });

    private Operator.Core.Aws.Ecs.IEcsClient? _ecs;

    /// <summary>The cluster as ECS has it now, with every include; null when missing.</summary>
    public async Task<Operator.Core.Aws.Ecs.Model.Cluster?> DescribeAsync(string clusterName)
    {
        var response = await Ecs.DescribeClustersAsync(new Operator.Core.Aws.Ecs.Model.DescribeClustersRequest
        {
            Clusters = [clusterName], Include = Operator.Core.Aws.Ecs.Model.ClusterField.All,
        });
        return response.Clusters?.FirstOrDefault(c => c.ClusterName == clusterName);
    }

    /// <summary>
    /// The ECS operations, in the order received, of the requests recorded from index <paramref name="since"/> of
    /// <see cref="AwsEmulator.RecordedRequests"/> (the bed started with <c>RecordRequests</c>) that name the cluster
    /// <paramref name="clusterName"/> by name or ARN, the test's own calls excluded: what one object cost while other
    /// objects of the same operator may still be converging.
    /// </summary>
    public List<string> OperatorCallsNaming(int since, string clusterName) =>
        Aws.RecordedRequests.Skip(since)
            .Where(r => (r.Contains($"\"{clusterName}\"", StringComparison.Ordinal) || r.Contains($"cluster/{clusterName}\"", StringComparison.Ordinal))
                && !r.Contains("Credential=test-inspector/", StringComparison.Ordinal))
            .Select(r => System.Text.RegularExpressions.Regex.Match(r, @"(?im)^x-amz-target: *[^.\r\n]*\.(\w+)").Groups[1].Value)
            .Where(op => op.Length > 0)
            .ToList();

    /// <summary>AWS calls the operator made since <paramref name="since"/>, by operation (the test's own calls excluded).</summary>
    public Dictionary<string, int> OperatorCalls(DateTimeOffset since) =>
        Aws.Calls.Snapshot().Where(c => c.At >= since && c.AccessKeyId != "test-inspector")
            .GroupBy(c => c.Operation).ToDictionary(g => g.Key, g => g.Count());

    public async Task<ECSCluster> WaitForClusterAsync(string ns, string name, Func<ECSCluster, bool> condition, string what, TimeSpan? timeout = null)
    {
        ECSCluster? last = null;
        await Eventually.UntilAsync(async () => (last = await GetClusterAsync(ns, name)) is { } c && condition(c),
            $"{ns}/{name}: {what}", timeout ?? TimeSpan.FromSeconds(60));
        return last!;
    }

    public Task<ECSCluster> WaitReadyAsync(string ns, string name) =>
        WaitForClusterAsync(ns, name, c => c.Status?.Ready == true && c.Status.ObservedGeneration == c.Metadata.Generation, "Ready");

    public async Task WaitProviderReadyAsync(string ns, string name) =>
        await Eventually.UntilAsync(async () => (await GetProviderAsync(ns, name))?.Status?.Ready == true, $"provider {ns}/{name} Ready",
            TimeSpan.FromSeconds(60));

    public async Task WaitGoneAsync(string ns, string name) =>
        await Eventually.UntilAsync(async () => await GetClusterAsync(ns, name) is null, $"{ns}/{name} gone", TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        await Kube.DisposeAsync();
        await Stack.DisposeAsync();
    }
}
