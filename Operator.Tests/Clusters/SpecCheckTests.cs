using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Clusters;

/// <summary>
/// The reconciler's own copy of the CRD's rules (for objects stored before the CRD had them, or an API server without
/// CEL): each value the user guide uses passes; each value the new admission rules refuse is an InvalidSpec problem
/// naming its field.
/// </summary>
[TestFixture]
public sealed class SpecCheckTests
{
    [TestCase("arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012")]
    [TestCase("arn:aws:kms:us-east-1:123456789012:key/audit-key")] // the user guide's audit example
    [TestCase("1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("mrk-1234abcd12ab34cd56ef1234567890ab")]
    [TestCase("alias/ecs-exec")]
    [TestCase("arn:aws-cn:kms:cn-north-1:123456789012:alias/ecs/exec")]
    public void Valid_kms_keys_pass(string kms) => Problems(Exec(kms: kms)).Should().BeEmpty();

    [TestCase("my key")]
    [TestCase("arn:aws:s3:::my-bucket")]
    [TestCase("key/1234abcd-12ab-34cd-56ef-1234567890ab")]
    [TestCase("alias/")]
    [TestCase("alias/ecs\nX-Injected: yes")]
    public void Invalid_kms_keys_are_InvalidSpec(string kms) =>
        Problems(Exec(kms: kms)).Should().ContainSingle().Which.Should().StartWith("spec.configuration.executeCommandConfiguration.kmsKeyId:");

    [TestCase("audit-logs-bucket", null)]
    [TestCase("a.b-c", null)]
    [TestCase("My-Bucket", "lower-case")]
    [TestCase("my..bucket", "adjacent periods")]
    [TestCase("192.168.5.4", "IP address")]
    [TestCase("xn--bucket", "reserves")]
    [TestCase("logs--ol-s3", "reserves")]
    public void S3_bucket_names_follow_S3s_rules(string bucket, string? problem)
    {
        var problems = Problems(Exec(bucket: bucket));
        if (problem is null)
        {
            problems.Should().BeEmpty();
        }
        else
        {
            problems.Should().ContainSingle().Which.Should().Contain("s3BucketName").And.Contain(problem);
        }
    }

    [TestCase("/ecs/execute-command", true)]
    [TestCase("/ecs/audit/exec#1", true)]
    [TestCase("my group", false)]
    [TestCase("<script>", false)]
    public void Log_group_names_follow_CloudWatchs_rules(string group, bool valid) =>
        Problems(Exec(group: group)).Should().HaveCount(valid ? 0 : 1);

    [Test]
    public void Override_needs_a_destination() =>
        Problems(new ExecuteCommandConfiguration { Logging = "OVERRIDE", LogConfiguration = new ExecuteCommandLogConfiguration { CloudWatchEncryptionEnabled = true } })
            .Should().ContainSingle().Which.Should().Contain("must name where the logs go");

    [TestCase("FARGATE", true)]
    [TestCase("my-ec2-capacity-provider", true)]
    [TestCase("my\nprovider", false)]
    [TestCase("<script>", false)]
    public void Capacity_provider_names_follow_ECSs_rules(string name, bool valid)
    {
        var obj = Cluster();
        obj.Spec.CapacityProviders = [name];
        obj.Spec.DefaultCapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = name, Weight = 1 }];

        var problems = SpecCheck.Problems(obj, null);

        problems.Should().HaveCount(valid ? 0 : 2);
        if (!valid)
        {
            problems.Should().Contain(p => p.StartsWith("spec.capacityProviders[0]:")).And.Contain(p => p.StartsWith("spec.defaultCapacityProviderStrategy[0].capacityProvider:"));
            problems.Should().OnlyContain(p => !p.Contains(name), "a refused value is not repeated into status");
        }
    }

    [Test]
    public void The_ownership_tag_is_refused_in_the_spec_and_in_the_providers_default_tags()
    {
        var obj = Cluster();
        obj.Spec.Tags = new() { [Ownership.TagKey] = "other/object" };
        var provider = new AWSProvider
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" },
            Spec = new AWSProviderSpec { Region = "us-east-1", DefaultTags = new() { [Ownership.TagKey] = "other/object" } },
        };

        var problems = SpecCheck.Problems(obj, provider);

        problems.Should().Contain(p => p.StartsWith("spec.tags:") && p.Contains("ownership tag"))
            .And.Contain(p => p.StartsWith("AWSProvider default/p spec.defaultTags:") && p.Contains("ownership tag"));
    }

    private static ECSCluster Cluster() => new()
    {
        Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "default" },
        Spec = new ECSClusterSpec { ProviderRef = new ProviderReference { Name = "p" }, ClusterName = "c" },
    };

    private static ExecuteCommandConfiguration Exec(string? kms = null, string? bucket = null, string? group = null) =>
        bucket is null && group is null
            ? new ExecuteCommandConfiguration { KmsKeyId = kms, Logging = "DEFAULT" }
            : new ExecuteCommandConfiguration
            {
                KmsKeyId = kms, Logging = "OVERRIDE",
                LogConfiguration = new ExecuteCommandLogConfiguration { S3BucketName = bucket, CloudWatchLogGroupName = group },
            };

    private static IReadOnlyList<string> Problems(ExecuteCommandConfiguration exec)
    {
        var obj = Cluster();
        obj.Spec.Configuration = new ClusterConfiguration { ExecuteCommandConfiguration = exec };
        return SpecCheck.Problems(obj, null);
    }
}
