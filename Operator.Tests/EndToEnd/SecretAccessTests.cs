using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Deploy;

namespace Operator.Tests.EndToEnd;

/// <summary>
/// Least privilege for Secrets, against the running operator: the Secret informer lists and watches metadata only
/// (the API emulator's request log shows the Accept it asked with, and its cache holds PartialObjectMetadata); a
/// referenced Secret is read with a GET when its resourceVersion changes, and a Secret no provider names never is; with
/// <c>--namespaces</c> and the namespaced RBAC component (its Role copied per watched namespace, as docs/installation.md
/// says), every request the operator makes is allowed with no cluster-wide Secret or Event grant (the Event in the other
/// namespace is a missing provider's Warning, recorded at once: no 30 s grace for a provider applied with it; the
/// Lease is a short one, so its fence before the work starts is too).
/// </summary>
[TestFixture]
public sealed class SecretAccessTests
{
    private const string ListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    private const string WatchAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

    [Test]
    public async Task Secrets_are_listed_and_watched_as_metadata_only_and_only_a_referenced_one_is_read_when_it_changes()
    {
        await using var bed = await OperatorTestBed.StartAsync();
        await bed.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "bystander", NamespaceProperty = "default" },
            StringData = new Dictionary<string, string> { ["password"] = "bystander-value" },
        }, "default");
        await bed.CreateStaticProviderAsync("default", "p");
        await bed.WaitProviderReadyAsync("default", "p");
        var cache = bed.App!.Services.GetRequiredService<Informer<PartialObjectMetadata<V1Secret>>>().Store;
        await Eventually.UntilAsync(() => Task.FromResult(cache.Get("default/bystander") is not null), "the bystander Secret in the cache");

        var requests = bed.Kube.Emulator.Requests.Entries.Where(e => e.Resource == "secrets").ToList();
        // HttpClient writes parameters as "; name=value": compare without the spaces.
        requests.Where(e => e.Verb == "list").Should().NotBeEmpty().And.OnlyContain(e => e.Accept.Replace(" ", "", StringComparison.Ordinal) == ListAccept,
            "the informer lists Secrets as PartialObjectMetadataList, with no fallback to whole Secrets");
        requests.Where(e => e.Verb == "watch").Should().NotBeEmpty().And.OnlyContain(e => e.Accept.Replace(" ", "", StringComparison.Ordinal) == WatchAccept);
        cache.List().Should().OnlyContain(s => s.Kind == "PartialObjectMetadata" && s.ApiVersion == "meta.k8s.io/v1");
        var reads = ReadsOf(bed, "p-credentials");
        reads.Should().BeGreaterThan(0);

        await RotateAsync(bed, "p-credentials", "access-key-id", "test");
        var bystander = await RotateAsync(bed, "bystander", "password", "bystander-rotated");
        await Eventually.UntilAsync(() => Task.FromResult(ReadsOf(bed, "p-credentials") > reads), "the referenced Secret read again after its change");
        await Eventually.UntilAsync(() => Task.FromResult(cache.Get("default/bystander")?.Metadata.ResourceVersion == bystander.Metadata.ResourceVersion),
            "the bystander's change seen by the informer");
        ReadsOf(bed, "bystander").Should().Be(0, "a Secret no provider references is never read");
    }

    [Test]
    public async Task With_namespaces_every_request_is_allowed_without_a_cluster_wide_Secret_or_Event_grant()
    {
        string[] watched = ["tenant-a", "tenant-b"];
        await using var bed = await OperatorTestBed.StartAsync(startOperator: false, settings: new()
        {
            ["Namespaces"] = string.Join(',', watched), ["LeaderElect"] = "true", ["LeaderElectionNamespace"] = "infra-operator-system",
            // A new Lease is held for its duration before work starts: 3 s here, not the product's 15 s.
            ["LeaseDuration"] = "00:00:03", ["RenewDeadline"] = "00:00:02", ["RetryPeriod"] = "00:00:00.500",
        }, services: s => OperatorTestBed.Adjust<Operator.Core.Clusters.ClusterReconcilerOptions>(s, o => o with { ProviderGrace = TimeSpan.Zero }));
        foreach (var ns in watched)
        {
            await bed.Kube.EnsureNamespaceAsync(ns);
        }
        await bed.CreateStaticProviderAsync("tenant-a", "p");
        await bed.Kube.CreateClusterAsync("tenant-a", "c", provider: "p");
        await bed.Kube.CreateClusterAsync("tenant-b", "orphan", provider: "missing"); // an Event in the other namespace
        bed.Kube.Emulator.Requests.Reset(); // from here on, every request is the operator's: the test reads its cache only

        await bed.StartOperatorAsync();
        var clusters = bed.App!.Services.GetRequiredService<Informer<ECSCluster>>().Store;
        await Eventually.UntilAsync(() => Task.FromResult(clusters.Get("tenant-a/c")?.Status?.Ready == true
            && clusters.Get("tenant-b/orphan")?.Status?.Conditions?.Any(c => c.Reason == "ProviderNotFound") == true), "both clusters reconciled");
        await Eventually.UntilAsync(() => Task.FromResult(bed.Kube.Emulator.Requests.Entries.Any(e => e.Resource == "events" && e.Verb == "create" && e.Namespace == "tenant-b")),
            "an Event written in tenant-b");
        var operatorRequests = bed.Kube.Emulator.Requests.Entries;

        var rbac = RbacRules.FromObjects(PerNamespace(await RbacTests.NamespacedBuildAsync(), watched));
        rbac.Denied(operatorRequests).Select(RbacRules.Describe).Should().BeEmpty("the namespaced RBAC covers every request the operator makes");
        rbac.Triples().Should().NotContain(t => t.Item2 == "secrets" || t.Item2 == "events", "no cluster-wide Secret or Event grant");
        operatorRequests.Where(e => e.Resource is "secrets" or "events").Should().NotBeEmpty()
            .And.OnlyContain(e => watched.Contains(e.Namespace), "Secrets and Events are only touched in the watched namespaces");
        var used = operatorRequests.Where(e => e.Resource is "secrets" or "events").Select(e => (e.Resource, e.Verb)).ToHashSet();
        used.Should().Contain([("secrets", "get"), ("secrets", "list"), ("secrets", "watch"), ("events", "create")]);
    }

    /// <summary>The component's Role and RoleBinding (in <c>default</c>) copied to each watched namespace, as the docs say.</summary>
    private static IEnumerable<JsonObject> PerNamespace(IReadOnlyList<JsonObject> objects, string[] namespaces)
    {
        foreach (var obj in objects)
        {
            if (obj.Kind() is "Role" or "RoleBinding" && obj.Namespace() == "default")
            {
                foreach (var ns in namespaces)
                {
                    var copy = obj.DeepClone().AsObject();
                    copy["metadata"]!["namespace"] = ns;
                    yield return copy;
                }
                continue;
            }
            yield return obj;
        }
    }

    private static int ReadsOf(OperatorTestBed bed, string secret) =>
        bed.Kube.Emulator.Requests.Entries.Count(e => e.Resource == "secrets" && e.Verb == "get" && e.Name == secret);

    /// <summary>A new value (and a label, so the resourceVersion moves even when the value is the same).</summary>
    private static Task<V1Secret> RotateAsync(OperatorTestBed bed, string name, string key, string value) =>
        bed.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["rotated"] = Guid.NewGuid().ToString("N") } },
            ["stringData"] = new JsonObject { [key] = value },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), name, "default");
}
