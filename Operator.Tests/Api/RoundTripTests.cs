using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Api;

/// <summary>
/// Each sample read into the C# model with the KubernetesClient's own serializer and written back must equal the
/// sample: a field the model lacks or renames would be lost on every status or finalizer write.
/// </summary>
[TestFixture]
public sealed class RoundTripTests
{
    private static IEnumerable<string> Samples() => SampleCatalog.ValidCustomResourceFiles();

    [TestCaseSource(nameof(Samples))]
    public void Sample_round_trips_through_the_model_without_losing_a_field(string file)
    {
        var original = SampleCatalog.Load(file);
        var json = original.ToJsonString();

        var written = original["kind"]!.GetValue<string>() switch
        {
            AWSProvider.KindName => EcsOperatorModule.Json.Serialize(EcsOperatorModule.Json.Deserialize<AWSProvider>(json)),
            ECSCluster.KindName => EcsOperatorModule.Json.Serialize(EcsOperatorModule.Json.Deserialize<ECSCluster>(json)),
            var other => throw new AssertionException($"unexpected kind {other}"),
        };

        JsonNode.DeepEquals(JsonNode.Parse(written), original).Should().BeTrue(
            $"round trip of {file} changed it:\n{written}\nexpected:\n{json}");
    }

    [Test]
    public void Status_round_trips_with_conditions_and_times()
    {
        const string json = """
            {"apiVersion":"aws-infra-operator.runner.codes/v1alpha1","kind":"ECSCluster",
             "metadata":{"name":"c","namespace":"default"},
             "spec":{"providerRef":{"name":"p"},"clusterName":"c"},
             "status":{"ready":true,"clusterARN":"arn:aws:ecs:us-east-1:123456789012:cluster/c","status":"ACTIVE",
               "registeredContainerInstancesCount":1,"runningTasksCount":2,"pendingTasksCount":3,"activeServicesCount":4,
               "lastSyncTime":"2026-01-02T03:04:05Z","observedGeneration":7,
               "conditions":[{"type":"Ready","status":"True","observedGeneration":7,
                 "lastTransitionTime":"2026-01-02T03:04:05Z","reason":"Active","message":"cluster is ACTIVE"}]}}
            """;

        var written = EcsOperatorModule.Json.Serialize(EcsOperatorModule.Json.Deserialize<ECSCluster>(json));

        JsonNode.DeepEquals(JsonNode.Parse(written), JsonNode.Parse(json)).Should().BeTrue(written);
    }
}
