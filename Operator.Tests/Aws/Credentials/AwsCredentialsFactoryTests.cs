using Operator.Core.Api.V1Alpha1;
using static Operator.Tests.Aws.Credentials.CredentialsTestKit;

namespace Operator.Tests.Aws.Credentials;

public sealed class AwsCredentialsFactoryTests
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/infra-operator-role";
    private string? _tokenFile;

    [TearDown]
    public void DeleteTokenFile()
    {
        if (_tokenFile is not null)
        {
            File.Delete(_tokenFile);
        }
    }

    [Test]
    public async Task Static_keys_come_from_the_secret_trimmed()
    {
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(endpoint: "http://moto:5000"), default);

        session.Credentials.Should().BeOfType<BasicAWSCredentials>();
        var creds = await session.Credentials.GetCredentialsAsync();
        creds.AccessKey.Should().Be(AccessKey);
        creds.SecretKey.Should().Be(SecretKey, "the trailing newline of the stored value is dropped");
        creds.UseToken.Should().BeFalse();
        session.Region.Should().Be(Region);
        session.Endpoint.Should().Be("http://moto:5000");
        session.ProviderKey.Should().Be($"{Namespace}/static");
    }

    [Test]
    public async Task Static_keys_with_a_session_token()
    {
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(withToken: true), default);

        session.Credentials.Should().BeOfType<SessionAWSCredentials>();
        var creds = await session.Credentials.GetCredentialsAsync();
        creds.Token.Should().Be(SessionToken);
        session.Endpoint.Should().BeNull();
    }

    [Test]
    public async Task Missing_secret_is_SecretNotFound_naming_the_secret()
    {
        var act = () => Factory(new FakeSecretReader()).CreateAsync(StaticProvider(), default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.SecretNotFound);
        e.Message.Should().Contain($"{Namespace}/aws-credentials");
    }

    [Test]
    public async Task Missing_key_is_SecretKeyNotFound_naming_the_key()
    {
        var secrets = new FakeSecretReader().Set(Namespace, "aws-credentials", "1", ("access-key-id", AccessKey));

        var act = () => Factory(secrets).CreateAsync(StaticProvider(), default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.SecretKeyNotFound);
        e.Message.Should().Contain("secret-access-key").And.NotContain(AccessKey);
    }

    [Test]
    public async Task Empty_value_is_InvalidCredentials()
    {
        var secrets = new FakeSecretReader().Set(Namespace, "aws-credentials", "1",
            ("access-key-id", AccessKey), ("secret-access-key", " \n"));

        var act = () => Factory(secrets).CreateAsync(StaticProvider(), default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.InvalidCredentials);
    }

    [Test]
    public async Task RoleArn_with_a_token_file_uses_web_identity()
    {
        _tokenFile = Path.GetTempFileName();
        var provider = Provider("irsa", new AWSProviderSpec { Region = Region, RoleARN = RoleArn });

        var session = await Factory(new FakeSecretReader(), Environment(_tokenFile)).CreateAsync(provider, default);

        var creds = session.Credentials.Should().BeOfType<WebIdentityRoleCredentials>().Subject;
        creds.RoleArn.Should().Be(RoleArn);
        creds.TokenFile.Should().Be(_tokenFile);
        creds.SessionName.Should().Be($"infra-operator-{Namespace}-irsa");
        creds.PreemptExpiryTime.Should().Be(TimeSpan.FromMinutes(5));
    }

    [Test]
    public async Task RoleArn_without_a_token_file_assumes_the_role_from_the_default_chain()
    {
        var provider = Provider("no-token", new AWSProviderSpec { Region = Region, RoleARN = RoleArn });
        var env = Environment(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")));

        var session = await Factory(new FakeSecretReader(), env).CreateAsync(provider, default);

        session.Credentials.Should().BeOfType<AssumeRoleCredentials>().Which.RoleArn.Should().Be(RoleArn);
        session.Source.Should().Be("roleARN via default chain");
    }

    [Test]
    public async Task Neither_uses_the_default_chain()
    {
        var chain = new BasicAWSCredentials("AKIDDEFAULT", "x");
        var provider = Provider("default", new AWSProviderSpec { Region = Region });

        var session = await Factory(new FakeSecretReader(), defaultChain: () => chain).CreateAsync(provider, default);

        session.Credentials.Should().BeSameAs(chain);
    }

    [Test]
    public async Task AssumeRoleArn_is_chained_on_top()
    {
        var provider = StaticProvider();
        provider.Spec.AssumeRoleARN = "arn:aws:iam::210987654321:role/target";
        provider.Spec.ExternalID = "ext-1";

        var session = await Factory(StaticSecrets()).CreateAsync(provider, default);

        session.Credentials.Should().BeOfType<AssumeRoleCredentials>().Which.RoleArn.Should().Be(provider.Spec.AssumeRoleARN);
        session.Source.Should().Be("static credentials + assumeRoleARN");
    }

    private static IEnumerable<TestCaseData> InvalidSpecs()
    {
        var key = new SecretKeyReference { Name = "s", Key = "k" };
        yield return new TestCaseData(new AWSProviderSpec { Region = "" }).SetName("no region");
        yield return new TestCaseData(new AWSProviderSpec { Region = Region, AccessKeyIDRef = key }).SetName("access key alone");
        yield return new TestCaseData(new AWSProviderSpec { Region = Region, SessionTokenRef = key }).SetName("token alone");
        yield return new TestCaseData(new AWSProviderSpec
        {
            Region = Region, AccessKeyIDRef = key, SecretAccessKeyRef = key, RoleARN = RoleArn,
        }).SetName("roleARN with static keys");
        yield return new TestCaseData(new AWSProviderSpec { Region = Region, ExternalID = "x1" }).SetName("externalID alone");
        yield return new TestCaseData(new AWSProviderSpec { Region = Region, Endpoint = "localstack:4566" }).SetName("relative endpoint");
    }

    [TestCaseSource(nameof(InvalidSpecs))]
    public async Task Specs_the_crd_would_reject_are_InvalidSpec(AWSProviderSpec spec)
    {
        var act = () => Factory(StaticSecrets()).CreateAsync(Provider("bad", spec), default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.InvalidSpec);
    }

    [Test]
    public async Task Version_follows_uid_generation_and_secret_resourceVersion()
    {
        var secrets = StaticSecrets();
        var factory = Factory(secrets);
        var provider = StaticProvider();
        var v1 = (await factory.CreateAsync(provider, default)).Version;

        (await factory.CreateAsync(provider, default)).Version.Should().Be(v1);

        secrets.Set(Namespace, "aws-credentials", "2", ("access-key-id", AccessKey), ("secret-access-key", SecretKey));
        var v2 = (await factory.CreateAsync(provider, default)).Version;
        v2.Should().NotBe(v1);

        provider.Metadata.Generation = 2;
        var v3 = (await factory.CreateAsync(provider, default)).Version;
        v3.Should().NotBe(v2);

        provider.Metadata.Uid = "recreated";
        (await factory.CreateAsync(provider, default)).Version.Should().NotBe(v3);
    }
}
