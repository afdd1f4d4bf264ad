using Operator.Core.Api.V1Alpha1;
using static Operator.Tests.Aws.Credentials.CredentialsTestKit;

namespace Operator.Tests.Aws.Credentials;

/// <summary>The admin's policy, and that the factory applies it (and the reference rules) before any Secret or AWS call.</summary>
public sealed class ProviderPolicyTests
{
    private static readonly ProviderPolicy Secure = ProviderPolicy.FromFlags(null, null, null, null);

    [TestCase("https://ecs.us-east-1.amazonaws.com", "us-east-1")]
    [TestCase("https://sts.eu-west-3.amazonaws.com/", "eu-west-3")]
    [TestCase("https://sts.amazonaws.com", "us-east-1")]
    [TestCase("https://ecs-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1")]
    [TestCase("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1")]
    [TestCase("https://vpce-0a1b2c3d-4e5f.sts.us-east-1.vpce.amazonaws.com", "us-east-1")]
    public void Aws_own_endpoints_of_the_region_are_allowed_by_default(string endpoint, string region) =>
        Secure.EndpointAllowed(new Uri(endpoint), region).Should().BeTrue();

    [TestCase("http://ecs.us-east-1.amazonaws.com", "us-east-1", TestName = "plain http")]
    [TestCase("https://ecs.us-east-1.amazonaws.com:8443", "us-east-1", TestName = "another port")]
    [TestCase("https://ecs.eu-west-1.amazonaws.com", "us-east-1", TestName = "another region")]
    [TestCase("https://sts.cn-north-1.amazonaws.com", "cn-north-1", TestName = "wrong partition")]
    [TestCase("https://ecs.us-east-1.amazonaws.com.evil.example", "us-east-1", TestName = "suffix trick")]
    [TestCase("https://vpce-1.vpce-svc-0abc.us-east-1.vpce.amazonaws.com", "us-east-1", TestName = "a tenant's PrivateLink service")]
    [TestCase("http://169.254.169.254/", "us-east-1", TestName = "instance metadata")]
    [TestCase("http://127.0.0.1:4566", "us-east-1", TestName = "loopback")]
    [TestCase("http://localstack.localstack.svc.cluster.local:4566", "us-east-1", TestName = "in-cluster service")]
    public void Anything_else_is_refused_by_default(string endpoint, string region) =>
        Secure.EndpointAllowed(new Uri(endpoint), region).Should().BeFalse();

    [Test]
    public void Admin_patterns_allow_hosts_ports_and_subdomains()
    {
        var policy = ProviderPolicy.FromFlags("localstack.localstack.svc.cluster.local:4566, *.corp.example, 10.0.0.7", null, null,
            "http://emulator:9000/");

        policy.EndpointAllowed(new Uri("http://localstack.localstack.svc.cluster.local:4566"), "us-east-1").Should().BeTrue();
        policy.EndpointAllowed(new Uri("http://localstack.localstack.svc.cluster.local:4567"), "us-east-1").Should().BeFalse();
        policy.EndpointAllowed(new Uri("https://sts.proxy.corp.example:8443/x"), "us-east-1").Should().BeTrue();
        policy.EndpointAllowed(new Uri("https://corp.example"), "us-east-1").Should().BeFalse("*. needs a subdomain");
        policy.EndpointAllowed(new Uri("http://10.0.0.7:1234"), "us-east-1").Should().BeTrue("no port: any port");
        policy.EndpointAllowed(new Uri("http://EMULATOR:9000"), "us-east-1").Should().BeTrue("the operator's own --aws-endpoint");
        policy.EndpointAllowed(new Uri("http://emulator:9001"), "us-east-1").Should().BeFalse();
        ProviderPolicy.FromFlags("*", null, null, null).EndpointAllowed(new Uri("http://anything:1"), "us-east-1").Should().BeTrue();
    }

    [Test]
    public void Roles_match_by_account_or_glob_and_none_by_default()
    {
        var policy = ProviderPolicy.FromFlags(null, "111122223333, arn:aws:iam::123456789012:role/tenants/*", null, null);

        policy.RoleAllowed("arn:aws:iam::111122223333:role/anything", "team-a").Should().BeTrue();
        policy.RoleAllowed("arn:aws:iam::123456789012:role/tenants/team-a", "team-a").Should().BeTrue();
        policy.RoleAllowed("arn:aws:iam::123456789012:role/admin", "team-a").Should().BeFalse();
        policy.RoleAllowed("arn:aws:iam::999999999999:role/tenants/x", "team-a").Should().BeFalse();
        Secure.RoleAllowed("arn:aws:iam::123456789012:role/tenants/team-a", "team-a").Should().BeFalse();
    }

    [TestCase("arn:aws:iam::123456789012:role/team-a-deployer", "team-a", true)]
    [TestCase("arn:aws:iam::123456789012:role/team-a-deployer", "team-b", false)]
    [TestCase("arn:aws:iam::123456789012:role/shared", "team-b", true)]
    [TestCase("arn:aws:iam::123456789012:role/shared", "team-c", true)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator/team-c/deployer", "team-c", true)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator/team-c/deployer", "team", false)]
    [TestCase("arn:aws:iam::123456789012:role/infra-operator/team/deployer", "team-c", false)]
    [TestCase("arn:aws:iam::210987654321:role/anything", "ops", true)]
    [TestCase("arn:aws:iam::210987654321:role/anything", "team-a", false)]
    public void Role_entries_can_be_scoped_to_a_namespace_or_name_it(string arn, string ns, bool allowed)
    {
        var policy = ProviderPolicy.FromFlags(null,
            "team-a=arn:aws:iam::123456789012:role/team-a-*, arn:aws:iam::123456789012:role/shared, " +
            "arn:aws:iam::123456789012:role/infra-operator/{namespace}/*, ops=210987654321", null, null);

        policy.RoleAllowed(arn, ns).Should().Be(allowed);
    }

    [TestCase("123456789012", "arn:aws:iam::123456789012:role/r", true)]
    [TestCase("123456789012", "arn:aws-cn:iam::123456789012:role/r", false)]
    [TestCase("123456789012", "arn:aws-us-gov:iam::123456789012:role/r", false)]
    [TestCase("aws-cn:123456789012", "arn:aws-cn:iam::123456789012:role/r", true)]
    [TestCase("aws-cn:123456789012", "arn:aws:iam::123456789012:role/r", false)]
    [TestCase("aws-us-gov:123456789012", "arn:aws-us-gov:iam::123456789012:role/r", true)]
    [TestCase("123456789012", "arn:aws:iam::123456789012:user/r", false)]
    [TestCase("123456789012", "arn:aws:sts::123456789012:role/r", false)]
    [TestCase("123456789012", "arn:aws:iam:us-east-1:123456789012:role/r", false)]
    public void The_account_form_is_partition_aware_and_names_roles_only(string entry, string arn, bool allowed) =>
        ProviderPolicy.FromFlags(null, entry, null, null).RoleAllowed(arn, "team-a").Should().Be(allowed);

    [TestCase("Team_A=123456789012")]
    [TestCase("team-a=role/admin")]
    [TestCase("team-a=")]
    [TestCase("=123456789012")]
    [TestCase("cn:123456789012")]
    public void Malformed_role_entries_stop_the_operator_at_startup(string entry)
    {
        var act = () => ProviderPolicy.FromFlags(null, entry, null, null);

        act.Should().Throw<ArgumentException>().WithMessage("*--allowed-role-arns*");
    }

    [Test]
    public void A_refused_role_names_the_namespace_and_the_scoped_entry_an_admin_would_add()
    {
        var policy = ProviderPolicy.FromFlags(null, "team-a=arn:aws:iam::123456789012:role/team-a-*", null, null);

        var act = () => policy.Check("team-b", new Operator.Core.Api.V1Alpha1.AWSProviderSpec
        {
            Region = "us-east-1", RoleARN = "arn:aws:iam::123456789012:role/team-a-deployer",
        });

        var e = act.Should().Throw<ProviderCredentialsException>().Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.RoleNotAllowed);
        e.Message.Should().Contain("namespace team-b").And.Contain("team-b=").And.Contain("--allowed-role-arns");
    }

    [TestCase("http://host/path", null, null)]
    [TestCase("host:99999", null, null)]
    [TestCase(null, "role/admin", null)]
    [TestCase(null, "12345", null)]
    [TestCase(null, null, "Team_A")]
    public void Malformed_flags_stop_the_operator_at_startup(string? endpoints, string? roles, string? namespaces)
    {
        var act = () => ProviderPolicy.FromFlags(endpoints, roles, namespaces, null);

        act.Should().Throw<ArgumentException>().WithMessage("--*");
    }

    [Test]
    public async Task A_refused_provider_reads_no_secret_and_never_touches_the_default_chain()
    {
        var secrets = StaticSecrets();
        var chainUses = 0;
        var factory = Factory(secrets, defaultChain: () =>
        {
            Interlocked.Increment(ref chainUses);
            return new BasicAWSCredentials("AKIDDEFAULTCHAIN0001", "default-chain-secret");
        }, policy: Secure);

        var cases = new (AWSProvider Provider, string Reason)[]
        {
            (StaticProvider(endpoint: "http://attacker.example:8080"), ProviderCredentialsReasons.EndpointNotAllowed),
            (Provider("role", new AWSProviderSpec { Region = Region, RoleARN = "arn:aws:iam::123456789012:role/x" }), ProviderCredentialsReasons.RoleNotAllowed),
            (Provider("assume", new AWSProviderSpec { Region = Region, AssumeRoleARN = "arn:aws:iam::123456789012:role/x" }), ProviderCredentialsReasons.RoleNotAllowed),
            (Provider("default", new AWSProviderSpec { Region = Region }), ProviderCredentialsReasons.DefaultCredentialsNotAllowed),
        };
        foreach (var (provider, reason) in cases)
        {
            var act = () => factory.CreateAsync(provider, default);
            (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason.Should().Be(reason, provider.Metadata.Name);
        }

        secrets.Reads.Should().Be(0);
        chainUses.Should().Be(0);
    }

    [Test]
    public async Task Static_keys_with_a_role_on_top_are_the_tenants_business()
    {
        var session = await Factory(StaticSecrets(), policy: Secure).CreateAsync(Provider("chained", new AWSProviderSpec
        {
            Region = Region, AssumeRoleARN = "arn:aws:iam::999999999999:role/anything",
            AccessKeyIDRef = new SecretKeyReference { Name = "aws-credentials", Key = "access-key-id" },
            SecretAccessKeyRef = new SecretKeyReference { Name = "aws-credentials", Key = "secret-access-key" },
        }), default);

        session.Source.Should().Be("static credentials + assumeRoleARN");
    }

    [TestCase("../../tenant-a/secrets/x", "access-key-id", "spec.accessKeyIDRef.name")]
    [TestCase("..", "access-key-id", "spec.accessKeyIDRef.name")]
    [TestCase("a/b", "access-key-id", "spec.accessKeyIDRef.name")]
    [TestCase("%2e%2e", "access-key-id", "spec.accessKeyIDRef.name")]
    [TestCase("aws-credentials", "../k", "spec.accessKeyIDRef.key")]
    [TestCase("aws-credentials", "..", "spec.accessKeyIDRef.key")]
    public async Task A_reference_that_predates_the_CRD_rule_is_InvalidSpec_without_a_read(string name, string key, string field)
    {
        var secrets = StaticSecrets();
        var provider = StaticProvider();
        provider.Spec.AccessKeyIDRef = new SecretKeyReference { Name = name, Key = key };

        var act = () => Factory(secrets).CreateAsync(provider, default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.InvalidSpec);
        e.Message.Should().Contain(field);
        secrets.Reads.Should().Be(0);
    }
}
