using Microsoft.Extensions.Logging.Abstractions;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Status;

/// <summary>
/// The lost-write probe as a test, over HTTP against a stand-in API server: a status write whose watch event has not
/// reached the cache yet must still be the base of the next write, so a status that goes back to what the cache shows
/// is written (without own-write tracking it was judged unchanged, and the server kept the intermediate status for
/// good); and a 401/403 of a starting API server is retried as a write, not reported.
/// </summary>
[TestFixture]
public sealed class ObjectPatcherTests
{
    private const string Path = "/apis/aws-infra-operator.runner.codes/v1alpha1/namespaces/default/ecsclusters/c/status";

    private static ECSCluster Cached(string rv, string syncedReason) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = "c", NamespaceProperty = "default", ResourceVersion = rv, Uid = "u1" },
        Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "c" },
        Status = new ECSClusterStatus { ClusterARN = "arn:aws:ecs:us-east-1:000000000000:cluster/c", Status = syncedReason },
    };

    private static string Answer(string rv, string state) => new JsonObject
    {
        ["apiVersion"] = ApiGroup.ApiVersion,
        ["kind"] = ECSCluster.KindName,
        ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "default", ["resourceVersion"] = rv, ["uid"] = "u1" },
        ["spec"] = new JsonObject { ["providerRef"] = new JsonObject { ["name"] = "p" }, ["clusterName"] = "c" },
        ["status"] = new JsonObject { ["clusterARN"] = "arn:aws:ecs:us-east-1:000000000000:cluster/c", ["status"] = state },
    }.ToJsonString();

    [Test]
    public async Task A_status_going_back_to_what_a_lagging_cache_shows_is_still_written()
    {
        await using var server = await FakeApiServer.StartAsync();
        var patcher = new ObjectPatcher(server.CreateClient(), EcsOperatorModule.Json, TimeProvider.System, NullLogger<ObjectPatcher>.Instance);
        var cached = Cached("10", "ACTIVE");

        // First write: ACTIVE -> FAILED lands as resourceVersion 11; the cache still holds 10 (its event is late).
        server.Answer("PATCH", Path, Answer("11", "FAILED"));
        (await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, cached.Status! with { Status = "FAILED" }, CancellationToken.None))
            .Should().BeTrue();
        // Second pass, same stale cache, wants ACTIVE again: the server has FAILED, so this must be written.
        server.Answer("PATCH", Path, Answer("12", "ACTIVE"));
        (await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, cached.Status! with { Status = "ACTIVE" }, CancellationToken.None))
            .Should().BeTrue("the base is our own write (FAILED), not the lagging cache (ACTIVE)");
        server.Requests.Select(r => JsonNode.Parse(r.Body)!["status"]!["status"]!.GetValue<string>()).Should().Equal("FAILED", "ACTIVE");

        // Once the cache has caught up, it is the base again: nothing to write.
        (await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(Cached("12", "ACTIVE"), cached.Status! with { Status = "ACTIVE" },
            CancellationToken.None)).Should().BeFalse();
    }

    [Test]
    public async Task A_precondition_carries_the_resourceVersion_of_our_own_newer_write()
    {
        await using var server = await FakeApiServer.StartAsync();
        var patcher = new ObjectPatcher(server.CreateClient(), EcsOperatorModule.Json, TimeProvider.System, NullLogger<ObjectPatcher>.Instance);
        var cached = Cached("10", "ACTIVE");
        server.Answer("PATCH", Path, Answer("11", "FAILED"));
        await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, cached.Status! with { Status = "FAILED" }, CancellationToken.None);
        server.Answer("PATCH", Path, Answer("12", "INACTIVE"));
        await patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, cached.Status! with { Status = "INACTIVE" }, CancellationToken.None,
            ifUnmodified: true);
        JsonNode.Parse(server.Requests.Last().Body)!["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("11");
    }

    [Test]
    public async Task A_403_of_a_starting_API_server_is_retried_as_a_write()
    {
        await using var server = await FakeApiServer.StartAsync();
        var patcher = new ObjectPatcher(server.CreateClient(), EcsOperatorModule.Json, TimeProvider.System, NullLogger<ObjectPatcher>.Instance,
            new WriteRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50) });
        var cached = Cached("10", "ACTIVE");
        server.Answer("PATCH", Path, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}""", 403);
        var write = patcher.PatchStatusIfChangedAsync<ECSCluster, ECSClusterStatus>(cached, cached.Status! with { Status = "FAILED" }, CancellationToken.None);
        await Eventually.UntilAsync(() => server.Requests.Count >= 2, "the write to be retried");
        server.Answer("PATCH", Path, Answer("11", "FAILED"));
        (await write).Should().BeTrue();
    }
}
