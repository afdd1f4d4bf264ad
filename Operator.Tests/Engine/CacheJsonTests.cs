using System.Text.Json;
using Operator.Core.Api.V1Alpha1;
using Operator.Tests.Api;

namespace Operator.Tests.Engine;

/// <summary>
/// What the informers cache is read with <see cref="Informer{T}.NewCacheJson"/>: the same values as the default read,
/// with strings repeated across objects shared.
/// </summary>
[TestFixture]
public sealed class CacheJsonTests
{
    private const string Cluster = """
        {"apiVersion":"aws-infra-operator.runner.codes/v1alpha1","kind":"ECSCluster",
         "metadata":{"name":"NAME","namespace":"team-a","uid":"UID","resourceVersion":"RV","generation":2,
           "finalizers":["aws-infra-operator.runner.codes/finalizer"],
           "labels":{"team":"payments"},"annotations":{"aws-infra-operator.runner.codes/created-arn":"arn:aws:ecs:eu-west-1:123456789012:cluster/NAME"}},
         "spec":{"providerRef":{"name":"prod"},"clusterName":"NAME","tags":{"team":"payments","note":"caf\u00e9 \"quoted\""}},
         "status":{"ready":true,"clusterARN":"arn:aws:ecs:eu-west-1:123456789012:cluster/NAME","status":"ACTIVE","observedGeneration":2,
           "conditions":[{"type":"Ready","status":"True","reason":"Available","message":"LONG","lastTransitionTime":"2026-01-02T03:04:05Z"}]}}
        """;

    private static string Object(int i) => Cluster.Replace("NAME", $"c-{i}", StringComparison.Ordinal)
        .Replace("UID", Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("RV", $"{1000 + i}", StringComparison.Ordinal)
        .Replace("LONG", new string('m', PooledStringConverter.MaxPooledLength + 1) + i, StringComparison.Ordinal);

    [Test]
    public void Every_value_read_equals_the_default_read()
    {
        var pooled = KubeJson.TypeInfo<ECSCluster>(Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json));
        foreach (var text in Enumerable.Range(0, 50).Select(Object)
                     .Concat(SampleCatalog.ValidCustomResourceFiles().Select(f => SampleCatalog.Load(f))
                         .Where(n => n["kind"]!.GetValue<string>() == ECSCluster.KindName).Select(n => n.ToJsonString())))
        {
            var viaPool = EcsOperatorModule.Json.Serialize(JsonSerializer.Deserialize(text, pooled)!);
            var plain = EcsOperatorModule.Json.Serialize(EcsOperatorModule.Json.Deserialize<ECSCluster>(text));
            JsonNode.DeepEquals(JsonNode.Parse(viaPool), JsonNode.Parse(plain)).Should().BeTrue($"pooled read of\n{text}\ngave\n{viaPool}");
        }
    }

    [Test]
    public void Strings_repeated_across_objects_are_one_instance_and_unique_or_long_ones_are_not_merged()
    {
        var pooled = KubeJson.TypeInfo<ECSCluster>(Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json));
        var a = JsonSerializer.Deserialize(Object(1), pooled)!;
        var b = JsonSerializer.Deserialize(Object(2), pooled)!;

        ReferenceEquals(a.ApiVersion, b.ApiVersion).Should().BeTrue("apiVersion repeats in every object");
        ReferenceEquals(a.Metadata.NamespaceProperty, b.Metadata.NamespaceProperty).Should().BeTrue();
        ReferenceEquals(a.Metadata.Finalizers![0], b.Metadata.Finalizers![0]).Should().BeTrue();
        ReferenceEquals(a.Metadata.Labels!.Keys.Single(), b.Metadata.Labels!.Keys.Single()).Should().BeTrue("dictionary keys are pooled too");
        ReferenceEquals(a.Status!.Conditions![0].Reason, b.Status!.Conditions![0].Reason).Should().BeTrue();
        ReferenceEquals(a.Spec.Tags!["note"], b.Spec.Tags!["note"]).Should().BeTrue("an escaped value is pooled once unescaped");
        a.Spec.Tags!["note"].Should().Be("café \"quoted\"");
        ReferenceEquals(a.Spec.ClusterName, a.Metadata.Name).Should().BeTrue("a name and the cluster name equal to it are one string");
        ReferenceEquals(a.Status.ClusterARN, a.Metadata.Annotations!.Values.Single()).Should().BeTrue("the ARN in status and in the annotation");

        a.Metadata.Name.Should().Be("c-1");
        b.Metadata.Name.Should().Be("c-2");
        a.Status.Conditions[0].Message.Should().EndWith("1").And.HaveLength(PooledStringConverter.MaxPooledLength + 2);
        ReferenceEquals(a.Status.Conditions[0].Message[..^1], b.Status.Conditions[0].Message[..^1]).Should().BeFalse();
    }

    [Test]
    public void A_value_of_the_wrong_type_or_invalid_utf8_fails_the_read_as_it_does_without_the_pool()
    {
        var pooled = KubeJson.TypeInfo<ECSCluster>(Informer<ECSCluster>.NewCacheJson(EcsOperatorModule.Json));
        var wrongType = Object(1).Replace("\"clusterName\":\"c-1\"", "\"clusterName\":7", StringComparison.Ordinal);
        FluentActions.Invoking(() => JsonSerializer.Deserialize(wrongType, pooled)).Should().Throw<JsonException>();
        FluentActions.Invoking(() => EcsOperatorModule.Json.Deserialize<ECSCluster>(wrongType)).Should().Throw<JsonException>();

        var bytes = System.Text.Encoding.UTF8.GetBytes(Object(1).Replace("payments", "pay\u00e9", StringComparison.Ordinal));
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at + 1] = 0x28; // an invalid continuation byte
        FluentActions.Invoking(() => JsonSerializer.Deserialize(bytes, pooled)).Should().Throw<Exception>();
        FluentActions.Invoking(() => JsonSerializer.Deserialize(bytes, EcsOperatorModule.Json.TypeInfo<ECSCluster>())).Should().Throw<Exception>();
    }
}
