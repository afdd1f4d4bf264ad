using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Aws;

/// <summary>
/// STS through AWSSDK.SecurityToken's real client with a ServiceURL override, against moto and the emulator: the
/// operator validates AWSProvider credentials with GetCallerIdentity and chains roles with AssumeRole.
/// </summary>
public sealed class StsTests
{
    private static AmazonSecurityTokenServiceClient Sts(Uri endpoint, AWSCredentials credentials) =>
        new(credentials, new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = endpoint.ToString(),
            AuthenticationRegion = EcsBackend.Region,
            MaxErrorRetry = 0,
        });

    [Test]
    public async Task GetCallerIdentity_against_moto()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Moto);
        using var sts = Sts(backend.Endpoint, backend.Credentials);

        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        identity.Account.Should().Be(MotoServer.AccountId);
        identity.Arn.Should().StartWith($"arn:aws:");
    }

    [Test]
    public async Task GetCallerIdentity_against_the_emulator()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        using var sts = Sts(backend.Endpoint, backend.Credentials);

        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        identity.Account.Should().Be(AwsCredentialStore.DefaultAccountId);
        identity.Arn.Should().Be($"arn:aws:iam::{AwsCredentialStore.DefaultAccountId}:user/emulator-{AwsCredentialStore.DefaultAccessKeyId.ToLowerInvariant()}");
        identity.UserId.Should().Be(AwsCredentialStore.DefaultAccessKeyId);
        backend.AwsEmulator!.Calls.Count("GetCallerIdentity").Should().Be(1);
    }

    [Test]
    public async Task GetCallerIdentity_with_a_wrong_secret_is_rejected_by_the_emulator()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        using var sts = Sts(backend.Endpoint, new BasicAWSCredentials(AwsCredentialStore.DefaultAccessKeyId, "wrong"));

        var call = () => sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        (await call.Should().ThrowAsync<AmazonSecurityTokenServiceException>()).Which.ErrorCode.Should().Be("SignatureDoesNotMatch");
    }

    [Test]
    public async Task AssumeRole_issues_session_credentials_that_act_in_the_roles_account()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        using var sts = Sts(backend.Endpoint, backend.Credentials);

        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = "arn:aws:iam::210987654321:role/infra-operator-ecs-role", RoleSessionName = "operator" });
        var session = new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken);
        var created = await backend.CreateClient(session).CreateClusterAsync(new CreateClusterRequest { ClusterName = "in-role-account" });
        using var asRole = Sts(backend.Endpoint, session);
        var identity = await asRole.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        assumed.AssumedRoleUser.Arn.Should().Be("arn:aws:sts::210987654321:assumed-role/infra-operator-ecs-role/operator");
        created.Cluster!.ClusterArn.Should().Be("arn:aws:ecs:us-east-1:210987654321:cluster/in-role-account");
        identity.Account.Should().Be("210987654321");
    }

    [TestCase(EcsBackend.Moto)]
    [TestCase(EcsBackend.Emulator)]
    public async Task StsClientFactory_honours_the_endpoint_override(string backendName)
    {
        await using var backend = await EcsBackend.StartAsync(backendName);

        using var sts = new Operator.Core.Aws.Credentials.StsClientFactory(new Operator.Core.Aws.Credentials.StsClientOptions())
            .Create("default/p", backend.Credentials, EcsBackend.Region, backend.Endpoint.ToString());
        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        identity.Account.Should().Be(backend.AccountId);
    }

    [Test]
    public async Task AssumeRoleWithWebIdentity_needs_no_signature()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        using var sts = Sts(backend.Endpoint, new AnonymousAWSCredentials());

        var assumed = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = "arn:aws:iam::123456789012:role/infra-operator-role",
            RoleSessionName = "irsa",
            WebIdentityToken = "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
        });

        assumed.Credentials.SessionToken.Should().NotBeNullOrEmpty();
        assumed.AssumedRoleUser.Arn.Should().Be("arn:aws:sts::123456789012:assumed-role/infra-operator-role/irsa");
    }
}
