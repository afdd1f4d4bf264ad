using Operator.Core.Api.V1Alpha1;
using static Operator.Tests.Aws.Credentials.CredentialsTestKit;

namespace Operator.Tests.Aws.Credentials;

/// <summary>The credential sources and the identity check over the wire, against moto's STS.</summary>
public sealed class StsAgainstMotoTests
{
    private const string MotoAccount = "123456789012";
    private const string Jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6aW5mcmEtb3BlcmF0b3Itc3lzdGVtOmluZnJhLW9wZXJhdG9yLWNvbnRyb2xsZXItbWFuYWdlciJ9.c2lnbmF0dXJl";

    private MotoStsFixture _moto = null!;
    private readonly List<string> _tempFiles = [];

    [OneTimeSetUp]
    public async Task StartMoto() => _moto = await MotoStsFixture.StartAsync();

    [OneTimeTearDown]
    public async Task StopMoto() => await _moto.DisposeAsync();

    [SetUp]
    public Task Reset() => _moto.ResetAsync();

    [TearDown]
    public void DeleteTempFiles()
    {
        foreach (var f in _tempFiles)
        {
            File.Delete(f);
        }

        _tempFiles.Clear();
    }

    private static IdentityChecker Checker(ILoggerFactory? logs = null) =>
        new(new StsClientFactory(FastSts), (logs ?? CapturingLogs.Null).CreateLogger<IdentityChecker>());

    private string TokenFile()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, Jwt + "\n");
        _tempFiles.Add(path);
        return path;
    }

    [Test]
    public async Task Static_keys_authenticate()
    {
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(endpoint: _moto.Endpoint), default);

        var identity = await Checker().GetCallerIdentityAsync(session, default);

        identity.Account.Should().Be(MotoAccount);
        identity.Arn.Should().StartWith($"arn:aws:sts::{MotoAccount}:");
        identity.UserId.Should().NotBeNullOrEmpty();
    }

    [Test]
    public async Task Static_keys_with_a_session_token_authenticate()
    {
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(endpoint: _moto.Endpoint, withToken: true), default);

        session.Credentials.Should().BeOfType<SessionAWSCredentials>();
        (await Checker().GetCallerIdentityAsync(session, default)).Account.Should().Be(MotoAccount);
    }

    [Test]
    public async Task Web_identity_assumes_the_role_and_refreshes_before_expiry()
    {
        var time = FakeNow();
        var provider = Provider("irsa", new AWSProviderSpec
        {
            Region = Region, Endpoint = _moto.Endpoint, RoleARN = $"arn:aws:iam::{MotoAccount}:role/infra-operator-role",
        });
        var session = await Factory(new FakeSecretReader(), Environment(TokenFile()), time: time).CreateAsync(provider, default);
        var creds = session.Credentials.Should().BeOfType<WebIdentityRoleCredentials>().Subject;

        var identity = await Checker().GetCallerIdentityAsync(session, default);

        identity.Account.Should().Be(MotoAccount);
        identity.Arn.Should().Be($"arn:aws:sts::{MotoAccount}:assumed-role/infra-operator-role/infra-operator-{Namespace}-irsa");
        creds.RefreshCount.Should().Be(1);
        var first = await creds.GetCredentialsAsync();
        first.UseToken.Should().BeTrue();

        // moto issues one-hour sessions (the duration we ask for); refresh is due 5 minutes before the end.
        time.Advance(TimeSpan.FromMinutes(50));
        (await creds.GetCredentialsAsync()).AccessKey.Should().Be(first.AccessKey);
        creds.RefreshCount.Should().Be(1, "50 minutes in, the credentials are not yet due");

        time.Advance(TimeSpan.FromMinutes(6));
        var during = await creds.GetCredentialsAsync();
        during.AccessKey.Should().Be(first.AccessKey, "the refresh runs in the background while the old keys stay valid");
        ImmutableCredentials renewed = during;
        await WaitUntil(() =>
        {
            renewed = creds.GetCredentials();
            return renewed.AccessKey != first.AccessKey;
        });
        (await Checker().GetCallerIdentityAsync(session, default)).Arn.Should().Be(identity.Arn);

        // No exact count from here on: moto dates the new session from the real clock, which is 56 minutes behind
        // the fake one, so the renewed credentials already look due and may be renewed again in the background.
        creds.RefreshCount.Should().BeGreaterThanOrEqualTo(2);
    }

    [Test]
    public async Task Web_identity_with_the_token_file_gone_is_WebIdentityTokenMissing()
    {
        var tokenFile = TokenFile();
        var provider = Provider("irsa", new AWSProviderSpec
        {
            Region = Region, Endpoint = _moto.Endpoint, RoleARN = $"arn:aws:iam::{MotoAccount}:role/infra-operator-role",
        });
        var session = await Factory(new FakeSecretReader(), Environment(tokenFile)).CreateAsync(provider, default);
        File.Delete(tokenFile);

        var act = () => Checker().GetCallerIdentityAsync(session, default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.WebIdentityTokenMissing);
    }

    [Test]
    public async Task RoleArn_without_a_token_file_assumes_the_role_with_the_default_chain()
    {
        var provider = Provider("chain", new AWSProviderSpec
        {
            Region = Region, Endpoint = _moto.Endpoint, RoleARN = $"arn:aws:iam::{MotoAccount}:role/from-chain",
        });
        var session = await Factory(new FakeSecretReader()).CreateAsync(provider, default);

        var identity = await Checker().GetCallerIdentityAsync(session, default);

        identity.Arn.Should().Be($"arn:aws:sts::{MotoAccount}:assumed-role/from-chain/infra-operator-{Namespace}-chain");
    }

    [Test]
    public async Task Neither_source_authenticates_with_the_default_chain()
    {
        var chain = new DefaultChainCredentials(() =>
            Task.FromResult<AWSCredentials>(new BasicAWSCredentials("AKIDCHAIN", "chain-secret")));
        var provider = Provider("ambient", new AWSProviderSpec { Region = Region, Endpoint = _moto.Endpoint });
        var session = await Factory(new FakeSecretReader(), defaultChain: () => chain).CreateAsync(provider, default);

        (await Checker().GetCallerIdentityAsync(session, default)).Account.Should().Be(MotoAccount);
    }

    [Test]
    public async Task AssumeRoleArn_chains_on_static_keys_with_the_external_id()
    {
        var provider = StaticProvider("chained", _moto.Endpoint);
        provider.Spec.AssumeRoleARN = $"arn:aws:iam::{MotoAccount}:role/ecs-admin";
        provider.Spec.ExternalID = "ext-7781";
        var session = await Factory(StaticSecrets()).CreateAsync(provider, default);

        var identity = await Checker().GetCallerIdentityAsync(session, default);

        identity.Arn.Should().Be($"arn:aws:sts::{MotoAccount}:assumed-role/ecs-admin/infra-operator-{Namespace}-chained");
        var assumed = await _moto.AssumedRolesAsync();
        assumed.Should().ContainSingle();
        assumed[0].GetProperty("role_arn").GetString().Should().Be(provider.Spec.AssumeRoleARN);
        assumed[0].GetProperty("external_id").GetString().Should().Be("ext-7781");
        assumed[0].GetProperty("session_name").GetString().Should().Be($"infra-operator-{Namespace}-chained");
    }

    [Test]
    public async Task An_unreachable_endpoint_is_reported()
    {
        var dead = $"http://127.0.0.1:{MotoStsFixture.FreePort()}";
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(endpoint: dead), default);

        var act = () => Checker().GetCallerIdentityAsync(session, default);

        var e = (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which;
        e.Reason.Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
        e.Message.Should().Contain(dead);
    }

    [Test]
    public async Task An_unreachable_endpoint_during_role_assumption_is_reported_too()
    {
        var dead = $"http://127.0.0.1:{MotoStsFixture.FreePort()}";
        var provider = StaticProvider("chained", dead);
        provider.Spec.AssumeRoleARN = $"arn:aws:iam::{MotoAccount}:role/ecs-admin";
        var session = await Factory(StaticSecrets()).CreateAsync(provider, default);

        var act = () => Checker().GetCallerIdentityAsync(session, default);

        (await act.Should().ThrowAsync<ProviderCredentialsException>()).Which.Reason
            .Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
    }

    [Test]
    public async Task Cancellation_by_the_caller_is_not_reported_as_unreachable()
    {
        var session = await Factory(StaticSecrets()).CreateAsync(StaticProvider(endpoint: _moto.Endpoint), default);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var act = () => Checker().GetCallerIdentityAsync(session, cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public async Task Secret_values_never_appear_in_logs_or_exception_messages()
    {
        var logs = new CapturingLogs();
        var texts = new List<string>();
        var secrets = StaticSecrets();
        var factory = Factory(secrets, logs: logs);
        var cache = new AwsCredentialsCache(factory, TimeProvider.System, logs.CreateLogger<AwsCredentialsCache>());
        var checker = Checker(logs);

        async Task Run(AWSProvider provider)
        {
            try
            {
                cache.Invalidate($"{Namespace}/{provider.Metadata.Name}");
                var session = await cache.GetAsync(provider, default);
                texts.Add(session.ToString());
                texts.Add(session.Credentials.ToString() ?? "");
                texts.Add((await checker.GetCallerIdentityAsync(session, default)).ToString());
            }
            catch (Exception e)
            {
                texts.Add(e.ToString());
                if (e is ProviderCredentialsException pce)
                {
                    texts.Add(pce.Reason + ": " + pce.Message);
                }
            }
        }

        await Run(StaticProvider("ok", _moto.Endpoint));
        await Run(StaticProvider("token", _moto.Endpoint, withToken: true));
        var chained = StaticProvider("chained", _moto.Endpoint);
        chained.Spec.AssumeRoleARN = $"arn:aws:iam::{MotoAccount}:role/ecs-admin";
        chained.Spec.ExternalID = "ext-7781";
        await Run(chained);
        await Run(StaticProvider("dead", $"http://127.0.0.1:{MotoStsFixture.FreePort()}", withToken: true));
        var deadChain = StaticProvider("dead-chain", $"http://127.0.0.1:{MotoStsFixture.FreePort()}");
        deadChain.Spec.AssumeRoleARN = chained.Spec.AssumeRoleARN;
        await Run(deadChain);
        secrets.Set(Namespace, "aws-credentials", "9", ("access-key-id", AccessKey), ("secret-access-key", SecretKey));
        await Run(StaticProvider("missing-key", _moto.Endpoint, withToken: true));
        secrets.Remove(Namespace, "aws-credentials");
        await Run(StaticProvider("missing-secret", _moto.Endpoint));
        texts.Add(new SecretKeyValue(SecretKey, "1").ToString());

        var everything = texts.Concat(logs.Lines).ToList();
        everything.Should().Contain(t => t.Contains(ProviderCredentialsReasons.EndpointUnreachable));
        everything.Should().Contain(t => t.Contains(ProviderCredentialsReasons.SecretKeyNotFound));
        everything.Should().Contain(t => t.Contains(ProviderCredentialsReasons.SecretNotFound));
        everything.Should().Contain(t => t.Contains("assumed-role/ecs-admin"));
        foreach (var secret in new[] { SecretKey, SessionToken, AccessKey })
        {
            everything.Should().NotContain(t => t.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static Task WaitUntil(Func<bool> condition) => Eventually.UntilAsync(condition, "the renewed credentials");
}
