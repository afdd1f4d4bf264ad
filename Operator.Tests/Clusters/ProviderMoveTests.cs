using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Clusters;

/// <summary>
/// <see cref="ProviderMove"/>: a provider may be used when it reaches the account and region of the ARN the object
/// recorded; any provider may be used when nothing is recorded (or what is recorded is not an ECS cluster ARN).
/// </summary>
[TestFixture]
public sealed class ProviderMoveTests
{
    [TestCase("arn:aws:ecs:us-east-1:123456789012:cluster/c", "123456789012", "us-east-1")]
    [TestCase("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/a:b", "123456789012", "cn-north-1")]
    public void An_ECS_cluster_ARN_gives_account_and_region(string arn, string account, string region) =>
        ProviderMove.Location(arn).Should().Be((account, region));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("arn:aws:s3:::bucket")]
    [TestCase("arn:aws:ecs::123456789012:cluster/c")]
    [TestCase("arn:aws:ecs:us-east-1::cluster/c")]
    [TestCase("not an arn")]
    public void Anything_else_gives_nothing(string? arn) => ProviderMove.Location(arn).Should().BeNull();

    [TestCase("123456789012", "us-east-1", false)]
    [TestCase("999999999999", "us-east-1", true)]
    [TestCase("123456789012", "eu-west-1", true)]
    public void A_provider_of_another_account_or_region_is_refused(string account, string region, bool refused)
    {
        var refusal = ProviderMove.Refusal(Object("arn:aws:ecs:us-east-1:123456789012:cluster/c"), Ready(account, region));
        if (refused)
        {
            refusal.Should().Contain("is in account 123456789012, region us-east-1").And.Contain($"is for account {account}, region {region}")
                .And.Contain("Set spec.providerRef back");
        }
        else
        {
            refusal.Should().BeNull();
        }
    }

    [Test]
    public void Without_a_recorded_ARN_any_provider_may_be_used()
    {
        var obj = Object(null);
        obj.Status = new ECSClusterStatus { ClusterARN = "arn:aws:ecs:us-east-1:123456789012:cluster/c" };
        ProviderMove.Refusal(obj, Ready("999999999999", "eu-west-1")).Should().BeNull("a status ARN without the annotation is not the operator's");
    }

    private static ECSCluster Object(string? recordedArn) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "c", NamespaceProperty = "default",
            Annotations = recordedArn is null ? null : new Dictionary<string, string> { [Ownership.CreatedArnAnnotation] = recordedArn },
        },
        Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "c" },
    };

    private static ProviderResolution Ready(string account, string region) =>
        new(new AWSProvider { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" }, Spec = new AWSProviderSpec { Region = region } }, account, null, null);
}
