using System.Text.Json;
using k8s.Autorest;
using Operator.Testing.Kubernetes;

namespace Operator.Tests.Kubernetes;

/// <summary>A fresh emulator (with the repository's CRDs) and a real KubernetesClient per test.</summary>
public abstract class EmulatorTestBase
{
    protected const string Group = "aws-infra-operator.runner.codes";
    protected const string Version = "v1alpha1";
    protected const string Plural = "ecsclusters";

    /// <summary>The ECSClusters of namespace default, for requests made over plain HTTP.</summary>
    protected const string ClusterPath = $"/apis/{Group}/{Version}/namespaces/default/{Plural}";
    protected static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private protected KubeApiEmulator Emulator { get; private set; } = null!;

    protected IKubernetes Client { get; private set; } = null!;

    protected virtual KubeApiEmulatorOptions Options() => new() { CrdDirectory = Path.Combine(RepoPaths.Root, "manifests", "crds") };

    [SetUp]
    public async Task StartEmulatorAsync()
    {
        Emulator = await KubeApiEmulator.StartAsync(Options());
        Client = Emulator.CreateClient(EcsOperatorModule.Json);
    }

    [TearDown]
    public async Task StopEmulatorAsync()
    {
        Client?.Dispose();
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }

    protected static JsonObject Cluster(string name, string ns = "default", string clusterName = "c1", JsonObject? labels = null, JsonArray? finalizers = null)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            meta["labels"] = labels;
        }

        if (finalizers is not null)
        {
            meta["finalizers"] = finalizers;
        }

        return new JsonObject
        {
            ["apiVersion"] = $"{Group}/{Version}",
            ["kind"] = "ECSCluster",
            ["metadata"] = meta,
            // clusterName is immutable (a CEL transition rule): tests that edit the spec edit providerRef.name, which starts equal to it.
            ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = clusterName }, ["clusterName"] = clusterName },
        };
    }

    protected async Task<JsonObject> CreateClusterAsync(JsonObject body, string ns = "default") =>
        ToNode(await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, Version, ns, Plural));

    protected async Task<JsonObject> GetClusterAsync(string name, string ns = "default") =>
        ToNode(await Client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name));

    protected async Task<JsonObject> MergePatchClusterAsync(string name, JsonObject patch, string ns = "default") =>
        ToNode(await Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, name));

    protected async Task<JsonObject> MergePatchStatusAsync(string name, JsonObject patch, string ns = "default") =>
        ToNode(await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, name));

    protected static JsonObject ToNode(object? result) => result switch
    {
        JsonElement e => JsonNode.Parse(e.GetRawText())!.AsObject(),
        JsonObject o => o,
        _ => JsonNode.Parse(EcsOperatorModule.Json.Serialize(result!))!.AsObject(),
    };

    protected static string Rv(JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    protected static long Generation(JsonObject obj) => long.Parse(obj["metadata"]!["generation"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs the call, expecting a failure; returns the HTTP status and the decoded Status body.</summary>
    protected static async Task<(HttpStatusCode Code, JsonObject Status)> FailureOf(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (HttpOperationException e)
        {
            return (e.Response.StatusCode, JsonNode.Parse(e.Response.Content)!.AsObject());
        }

        Assert.Fail("the call was expected to fail");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Polls until the condition holds; for observations that have no event to wait on.</summary>
    protected static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what, Generous);
}
