using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;
using Operator.Core.Leadership;
using Operator.Tests.Aws;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// Objects as a real kube-apiserver v1.32 returns them (RealPayloads/, read with <c>kubectl get -o json
/// --show-managed-fields</c> after other managers wrote to them: managedFields, ownerReferences, other managers'
/// labels and annotations, MicroTime timestamps) through the serializers the operator ships (KubernetesClient.Aot's
/// source-generated context and <see cref="KubeJson"/>): every kind the operator reads deserialises, the operator's
/// own context writes every one of them back unchanged, and every write the operator builds after reading one
/// (Lease renewal and release, status, finalizer and annotation patches) carries only what the operator owns.
/// </summary>
[TestFixture]
public sealed class ShippedSerializerTests
{
    private static string Payload(string name) =>
        File.ReadAllText(Path.Combine(RepositoryLayout.Root, "Operator.Tests", "Kubernetes", "RealPayloads", $"{name}.json"));

    [Test]
    public void The_client_reads_Leases_and_Events_as_the_server_sends_them()
    {
        var lease = KubernetesJson.Deserialize<V1Lease>(Payload("lease"));
        lease.Metadata.ManagedFields.Should().HaveCount(2);
        lease.Spec.RenewTime.Should().Be(new DateTime(2026, 12, 6, 7, 0, 4, DateTimeKind.Utc).AddTicks(10));
        var ev = KubernetesJson.Deserialize<Corev1Event>(Payload("event"));
        ev.Count.Should().Be(2);
        ev.Metadata.ManagedFields.Should().NotBeEmpty();
    }

    [Test]
    public void The_client_context_cannot_write_a_read_object_back_so_the_operator_never_does()
    {
        // Why every write is built from what the operator owns: the client's context has no JsonElement (FieldsV1).
        var lease = KubernetesJson.Deserialize<V1Lease>(Payload("lease"));
        var writeBack = () => KubernetesJson.Serialize(lease);
        writeBack.Should().Throw<NotSupportedException>().WithMessage("*JsonElement*");
    }

    [TestCase("ecscluster", typeof(ECSCluster))]
    [TestCase("awsprovider", typeof(AWSProvider))]
    [TestCase("secret", typeof(V1Secret))]
    [TestCase("lease", typeof(V1Lease))]
    public void The_operators_context_reads_and_writes_every_kind_unchanged(string payload, Type type)
    {
        var json = Payload(payload);
        object read = type.Name switch
        {
            nameof(ECSCluster) => EcsOperatorModule.Json.Deserialize<ECSCluster>(json),
            nameof(AWSProvider) => EcsOperatorModule.Json.Deserialize<AWSProvider>(json),
            nameof(V1Secret) => EcsOperatorModule.Json.Deserialize<V1Secret>(json),
            _ => EcsOperatorModule.Json.Deserialize<V1Lease>(json),
        };
        var written = EcsOperatorModule.Json.Serialize(read);
        Normalised(JsonNode.Parse(written)!).ToJsonString().Should().Be(Normalised(JsonNode.Parse(json)!).ToJsonString());
    }

    [TestCase("ecscluster")]
    [TestCase("awsprovider")]
    public void The_informer_cache_reads_custom_resources_with_shared_strings(string payload)
    {
        var options = Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json);
        var json = Payload(payload);
        if (payload == "ecscluster")
        {
            var cluster = JsonSerializer.Deserialize(json, KubeJson.TypeInfo<ECSCluster>(options))!;
            cluster.Status!.ClusterARN.Should().EndWith("cluster/my-fargate-cluster");
            cluster.Metadata.OwnerReferences.Should().ContainSingle();
        }
        else
        {
            var provider = JsonSerializer.Deserialize(json, KubeJson.TypeInfo<AWSProvider>(options))!;
            provider.Status!.Ready.Should().BeTrue();
        }
    }

    [Test]
    public async Task Lease_writes_after_reading_a_real_Lease_carry_only_its_spec_and_resourceVersion()
    {
        await using var server = await FakeApiServer.StartAsync();
        var lease = JsonNode.Parse(Payload("lease"))!.AsObject();
        const string path = "/apis/coordination.k8s.io/v1/namespaces/infra-operator-system/leases/infra-operator-leader";
        server.Answer("GET", path, lease.ToJsonString());
        server.Answer("PATCH", path, lease.ToJsonString());
        var election = new LeaderElection(server.CreateClient(), new LeaderElectionOptions
        {
            Identity = "infra-operator-7c9f-abcde",
            RetryPeriod = TimeSpan.FromMilliseconds(100),
        }, TimeProvider.System, NullLogger<LeaderElection>.Instance);
        using var stop = new CancellationTokenSource();
        var renewed = 0;
        var outcome = await election.RunAsync(async (workStop, _) =>
        {
            // Lead until two renewals went out, then stop (SIGTERM): the Lease is released.
            while (server.Requests.Count(r => r.Method == "PATCH") < 3 && !workStop.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
            renewed = server.Requests.Count(r => r.Method == "PATCH");
            await stop.CancelAsync();
        }, stop.Token);

        outcome.Should().Be(LeadershipOutcome.Cancelled);
        renewed.Should().BeGreaterThanOrEqualTo(3, "the acquire and two renewals");
        var patches = server.Requests.Where(r => r.Method == "PATCH").ToList();
        patches.Should().HaveCountGreaterThanOrEqualTo(4, "the acquire, the renewals and the release");
        foreach (var patch in patches)
        {
            patch.ContentType.Should().StartWith("application/merge-patch+json");
            var body = JsonNode.Parse(patch.Body)!.AsObject();
            body.Select(p => p.Key).Should().BeEquivalentTo(["metadata", "spec"]);
            body["metadata"]!.AsObject().Select(p => p.Key).Should().Equal("resourceVersion");
            body["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("264");
            body["spec"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
                ["holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions"]);
            patch.Query.Should().Contain("fieldManager=infra-operator");
        }
        JsonNode.Parse(patches[^1].Body)!["spec"]!["holderIdentity"]!.GetValue<string>().Should().BeEmpty("the last write releases the Lease");
    }

    [Test]
    public async Task Status_finalizer_and_annotation_patches_after_reading_a_real_object_carry_only_what_they_change()
    {
        await using var server = await FakeApiServer.StartAsync();
        var json = Payload("ecscluster");
        const string path = "/apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters/fargate-cluster";
        server.Answer("PATCH", path, json);
        server.Answer("PATCH", path + "/status", json);
        var cached = JsonSerializer.Deserialize(json, KubeJson.TypeInfo<ECSCluster>(Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json)))!;
        var patcher = new ObjectPatcher(server.CreateClient(), EcsOperatorModule.Json, TimeProvider.System, NullLogger<ObjectPatcher>.Instance);

        var desired = EcsOperatorModule.Json.Deserialize<ECSClusterStatus>(EcsOperatorModule.Json.Serialize(cached.Status!));
        desired.RunningTasksCount = 3;
        (await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, desired, CancellationToken.None, ifUnmodified: true)).Should().BeTrue();
        (await patcher.RemoveFinalizerAsync(cached, ApiGroup.Finalizer, CancellationToken.None)).Should().BeTrue();
        (await patcher.SetAnnotationAsync(cached, "aws-infra-operator.runner.codes/created-cluster-arn", "arn:aws:ecs:us-east-1:000000000000:cluster/other",
            CancellationToken.None)).Should().BeTrue();

        var bodies = server.Requests.Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToList();
        bodies.Should().HaveCount(3);
        bodies[0].ToJsonString().Should().Be("""{"status":{"runningTasksCount":3},"metadata":{"resourceVersion":"RV"}}""".Replace("RV", cached.Metadata.ResourceVersion, StringComparison.Ordinal));
        bodies[1].ToJsonString().Should().Be("""{"metadata":{"finalizers":[],"resourceVersion":"RV"}}""".Replace("RV", cached.Metadata.ResourceVersion, StringComparison.Ordinal));
        bodies[2].ToJsonString().Should().Be("""{"metadata":{"annotations":{"aws-infra-operator.runner.codes/created-cluster-arn":"arn:aws:ecs:us-east-1:000000000000:cluster/other"}}}""");
        server.Requests.Should().OnlyContain(r => !r.Body.Contains("managedFields", StringComparison.Ordinal));
    }

    /// <summary>Timestamps compared as instants (MicroTime's zero fraction is written as whole seconds), keys sorted.</summary>
    private static JsonNode Normalised(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Normalised(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(i => i is null ? null : Normalised(i))]),
        JsonValue v when v.TryGetValue<string>(out var s) && s.Length >= 20 && s[4] == '-' && s[10] == 'T' && s.EndsWith('Z')
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) =>
            JsonValue.Create(t.UtcTicks),
        _ => node.DeepClone(),
    };
}
