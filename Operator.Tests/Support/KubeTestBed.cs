using Operator.Core.Api.V1Alpha1;
using Operator.Testing.Kubernetes;

namespace Operator.Tests.Support;

/// <summary>A Kubernetes API emulator with the CRDs installed and a real KubernetesClient pointed at it.</summary>
internal sealed class KubeTestBed : IAsyncDisposable
{
    private readonly bool _ownsEmulator;

    private KubeTestBed(KubeApiEmulator emulator, bool ownsEmulator = true)
    {
        Emulator = emulator;
        Client = emulator.CreateClient(EcsOperatorModule.Json);
        _ownsEmulator = ownsEmulator;
    }

    public KubeApiEmulator Emulator { get; }
    public IKubernetes Client { get; }

    /// <summary>The emulator options of <see cref="StartAsync"/>: the repository's CRDs, frequent bookmarks, mixed event orders.</summary>
    public static KubeApiEmulatorOptions Options(TimeSpan? bookmarkInterval = null, WatchEventOrder? watchOrder = null) => new()
    {
        CrdDirectory = RepositoryLayout.CrdDirectory,
        BookmarkInterval = bookmarkInterval ?? TimeSpan.FromSeconds(5),
        WatchEventOrder = watchOrder ?? WatchEventOrder.Random,
    };

    /// <summary>Helpers over an emulator someone else owns (an in-process stack): disposing this leaves it running.</summary>
    public static KubeTestBed Over(KubeApiEmulator emulator) => new(emulator, ownsEmulator: false);

    /// <param name="watchOrder">When a write's watch events arrive relative to its response; the emulator's default mixes orders.</param>
    public static async Task<KubeTestBed> StartAsync(TimeSpan? bookmarkInterval = null, WatchEventOrder? watchOrder = null)
    {
        var emulator = await KubeApiEmulator.StartAsync(Options(bookmarkInterval, watchOrder));
        return new KubeTestBed(emulator);
    }

    public async Task EnsureNamespaceAsync(string name)
    {
        try
        {
            await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
        }
    }

    public async Task<ECSCluster> CreateClusterAsync(string ns, string name, string? clusterName = null, string provider = "p",
        Action<ECSClusterSpec>? spec = null)
    {
        var obj = new ECSCluster
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = provider }, ClusterName = clusterName ?? name },
        };
        spec?.Invoke(obj.Spec);
        var created = await Client.CustomObjects.CreateNamespacedCustomObjectAsync(obj, ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName);
        return EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(created));
    }

    public async Task<ECSCluster?> GetClusterAsync(string ns, string name)
    {
        try
        {
            var obj = await Client.CustomObjects.GetNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name);
            return EcsOperatorModule.Json.Deserialize<ECSCluster>(EcsOperatorModule.Json.Serialize(obj));
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task PatchClusterAsync(string ns, string name, JsonObject mergePatch, bool status = false) => status
        ? Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(mergePatch.ToJsonString(), V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name)
        : Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(mergePatch.ToJsonString(), V1Patch.PatchType.MergePatch),
            ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name);

    public Task DeleteClusterAsync(string ns, string name) =>
        Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, ns, ECSCluster.PluralName, name);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_ownsEmulator)
        {
            await Emulator.DisposeAsync();
        }
    }
}
