using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Nothing of one tenant in another's view: the conditions and Events the operator writes on an object name another
/// object only when it is in the same namespace. A provider in namespace <c>shared</c> admits <c>tenant-a</c> and
/// <c>tenant-b</c>; their clusters contend for one ECS cluster, use a broken shared provider, and hold a provider that is
/// being deleted.
/// </summary>
[TestFixture]
public sealed class TenantViewTests
{
    private OperatorTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await OperatorTestBed.StartAsync();
        foreach (var ns in new[] { "shared", "tenant-a", "tenant-b" })
        {
            await _bed.Kube.EnsureNamespaceAsync(ns);
        }
        await _bed.CreateStaticProviderAsync("shared", "p", spec: s => s["allowedNamespaces"] = new JsonArray("tenant-a", "tenant-b"));
        await _bed.WaitProviderReadyAsync("shared", "p");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_owner_of_a_contested_cluster_is_named_only_in_its_own_namespace()
    {
        await _bed.Kube.CreateClusterAsync("tenant-a", "secret-project-owner", clusterName: "contested", spec: s => s.ProviderRef.Namespace = "shared");
        await _bed.WaitReadyAsync("tenant-a", "secret-project-owner");
        await _bed.Kube.CreateClusterAsync("tenant-b", "claimant", clusterName: "contested", spec: s => s.ProviderRef.Namespace = "shared");
        await _bed.Kube.CreateClusterAsync("tenant-a", "neighbour", clusterName: "contested", spec: s => s.ProviderRef.Namespace = "shared");

        var foreign = await OwnedByAnotherObjectAsync("tenant-b", "claimant");
        var neighbour = await OwnedByAnotherObjectAsync("tenant-a", "neighbour");

        foreign.Should().Contain("another namespace").And.NotContain("tenant-a").And.NotContain("secret-project-owner");
        var events = await EventsAsync("tenant-b", "claimant", ClusterConditions.Reasons.OwnedByAnotherObject);
        events.Should().OnlyContain(e => !e.Message.Contains("tenant-a") && !e.Message.Contains("secret-project-owner"));
        neighbour.Should().Contain("ECSCluster tenant-a/secret-project-owner", "an owner in the viewer's own namespace is named, with the way out");
    }

    [Test]
    public async Task A_shared_providers_own_message_is_not_shown_to_the_namespaces_it_admits()
    {
        await _bed.CreateStaticProviderAsync("shared", "broken", spec: s =>
        {
            s["allowedNamespaces"] = new JsonArray("tenant-b");
            s["accessKeyIDRef"]!["key"] = "canary-key-name";
        });
        await _bed.Kube.CreateClusterAsync("tenant-b", "on-broken", provider: "broken", spec: s => s.ProviderRef.Namespace = "shared");

        var obj = await _bed.WaitForClusterAsync("tenant-b", "on-broken",
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.ProviderNotReady && x.Message.Contains("SecretKeyNotFound")) == true,
            "ProviderNotReady naming the provider's reason");

        obj.Status!.Conditions!.Should().OnlyContain(c => !c.Message.Contains("canary-key-name") && !c.Message.Contains("broken-credentials"),
            "the provider's own message names its Secret, which is the shared namespace's business");
        (await _bed.GetProviderAsync("shared", "broken"))!.Status!.Conditions!.Single(c => c.Type == "Ready").Message
            .Should().Contain("canary-key-name", "its own namespace still sees the whole message");
    }

    [Test]
    public async Task A_provider_being_deleted_names_only_its_own_namespaces_clusters()
    {
        await _bed.CreateStaticProviderAsync("shared", "held", spec: s => s["allowedNamespaces"] = new JsonArray("tenant-a"));
        await _bed.WaitProviderReadyAsync("shared", "held");
        await _bed.Kube.CreateClusterAsync("tenant-a", "confidential-user", provider: "held", spec: s => s.ProviderRef.Namespace = "shared");
        await _bed.Kube.CreateClusterAsync("shared", "local-user", provider: "held");
        await _bed.WaitReadyAsync("tenant-a", "confidential-user");
        await _bed.WaitReadyAsync("shared", "local-user");

        await _bed.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiGroup.Group, ApiGroup.Version, "shared", AWSProvider.PluralName, "held");

        V1Condition? blocked = null;
        await Eventually.UntilAsync(async () => (blocked = (await _bed.GetProviderAsync("shared", "held"))?.Status?.Conditions?
            .FirstOrDefault(c => c.Type == ProviderConditions.DeletionBlocked)) is not null, "DeletionBlocked");
        blocked!.Message.Should().Contain("shared/local-user").And.Contain("1 in other namespaces")
            .And.NotContain("tenant-a").And.NotContain("confidential-user");
    }

    private async Task<string> OwnedByAnotherObjectAsync(string ns, string name)
    {
        var obj = await _bed.WaitForClusterAsync(ns, name,
            c => c.Status?.Conditions?.Any(x => x.Type == ClusterConditions.Synced && x.Reason == ClusterConditions.Reasons.OwnedByAnotherObject) == true,
            "OwnedByAnotherObject");
        return obj.Status!.Conditions!.Single(x => x.Type == ClusterConditions.Synced).Message;
    }

    private async Task<IList<Corev1Event>> EventsAsync(string ns, string name, string reason)
    {
        IList<Corev1Event> events = [];
        await Eventually.UntilAsync(async () => (events = (await _bed.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={name}"))
            .Items.Where(e => e.Reason == reason).ToList()).Count > 0, $"{reason} events of {ns}/{name}");
        return events;
    }
}
