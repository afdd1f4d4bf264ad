using Operator.Core.Aws.Ecs.Model;

namespace Operator.Tests.Aws;

/// <summary>
/// SigV4: the emulator's verifier reproduces AWS's published SigV4 test-suite vectors (so "accepted by the
/// emulator" means "correctly signed"), accepts the client's signatures, and rejects a wrong secret, an unknown
/// key or a wrong session token. The client signs with AWSSDK.Core's own signer.
/// </summary>
public sealed class SigV4Tests
{
    // From AWS's Signature Version 4 test suite (aws-sig-v4-test-suite): key, secret, time, region, service.
    private const string SuiteKey = "AKIDEXAMPLE";
    private const string SuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTime SuiteTime = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    [TestCase("GET", "", "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", TestName = "SigV4 suite: get-vanilla")]
    [TestCase("POST", "", "", "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", TestName = "SigV4 suite: post-vanilla")]
    [TestCase("POST", "application/x-www-form-urlencoded", "Param1=value1", "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a", TestName = "SigV4 suite: post-x-www-form-urlencoded")]
    public void Verifier_reproduces_the_published_test_vectors(string method, string contentType, string body, string signedHeaders, string expected)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z") };
        if (contentType.Length > 0)
        {
            headers.Add(new("Content-Type", contentType));
        }

        var request = new SigV4Request(method, "/", "", headers, System.Text.Encoding.UTF8.GetBytes(body));
        var authorization = new SigV4Authorization(SuiteKey, "20150830", "us-east-1", "service", signedHeaders.Split(';'), expected);

        SigV4Verifier.ComputeSignature(request, authorization, SuiteSecret, SuiteTime).Should().Be(expected);
        SigV4Verifier.SignatureMatches(request, authorization, SuiteSecret, SuiteTime).Should().BeTrue();
        SigV4Verifier.SignatureMatches(request, authorization, SuiteSecret + "x", SuiteTime).Should().BeFalse();
    }

    [Test]
    public void Verifier_canonicalises_the_query_like_the_suite_get_vanilla_query_order_key_case()
    {
        // get-vanilla-query-order-key-case: "?Param2=value2&Param1=value1" is signed sorted.
        var request = new SigV4Request("GET", "/", "?Param2=value2&Param1=value1",
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z")], []);

        SigV4Verifier.CanonicalRequest(request, ["host", "x-amz-date"]).Split('\n')[2].Should().Be("Param1=value1&Param2=value2");
        SigV4Verifier.ComputeSignature(request, new SigV4Authorization(SuiteKey, "20150830", "us-east-1", "service", ["host", "x-amz-date"], ""), SuiteSecret, SuiteTime)
            .Should().Be("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    }

    [Test]
    public async Task The_emulator_accepts_the_clients_signature_and_rejects_a_wrong_secret()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        var good = backend.CreateClient();
        var wrongSecret = backend.CreateClient(new BasicAWSCredentials(AwsCredentialStore.DefaultAccessKeyId, "not-the-secret"));

        await good.CreateClusterAsync(new CreateClusterRequest { ClusterName = "signed" });
        var rejected = () => wrongSecret.CreateClusterAsync(new CreateClusterRequest { ClusterName = "forged" });

        var error = (await rejected.Should().ThrowAsync<AuthenticationFailedException>()).Which;
        error.ErrorCode.Should().Be("InvalidSignatureException");
        error.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
        error.Retryable.Should().BeFalse();
        error.Message.Should().NotContain("not-the-secret");
        backend.AwsEmulator!.Ecs.ClusterCount(AwsCredentialStore.DefaultAccountId, EcsBackend.Region).Should().Be(1);
    }

    [Test]
    public async Task The_emulator_rejects_an_unknown_access_key_as_UnrecognizedClientException()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        var stranger = backend.CreateClient(new BasicAWSCredentials("AKIDUNKNOWN000000000", "whatever"));

        var call = () => stranger.DescribeClustersAsync(new DescribeClustersRequest());

        (await call.Should().ThrowAsync<AuthenticationFailedException>()).Which.ErrorCode.Should().Be("UnrecognizedClientException");
    }

    [Test]
    public async Task Session_credentials_send_a_token_that_must_match()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        backend.AwsEmulator!.Credentials.Add(new AwsIdentity("ASIASESSION000000001", "session-secret", "123456789012", "arn:aws:sts::123456789012:assumed-role/r/s", "the-token"));

        await backend.CreateClient(new SessionAWSCredentials("ASIASESSION000000001", "session-secret", "the-token")).DescribeClustersAsync(new DescribeClustersRequest());
        var wrongToken = () => backend.CreateClient(new SessionAWSCredentials("ASIASESSION000000001", "session-secret", "other-token")).DescribeClustersAsync(new DescribeClustersRequest());

        (await wrongToken.Should().ThrowAsync<AuthenticationFailedException>()).Which.ErrorCode.Should().Be("UnrecognizedClientException");
    }

    [Test]
    public async Task Credentials_are_resolved_on_every_request_so_rotation_takes_effect()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        backend.AwsEmulator!.Credentials.Add("AKIDROTATED000000002", "rotated-secret", AwsCredentialStore.DefaultAccountId);
        var credentials = new RotatingCredentials(new ImmutableCredentials(AwsCredentialStore.DefaultAccessKeyId, AwsCredentialStore.DefaultSecretAccessKey, null));
        var ecs = backend.CreateClient(credentials);

        await ecs.DescribeClustersAsync(new DescribeClustersRequest());
        credentials.Current = new ImmutableCredentials("AKIDROTATED000000002", "rotated-secret", null);
        await ecs.DescribeClustersAsync(new DescribeClustersRequest());

        backend.AwsEmulator.Calls.Snapshot().Select(c => c.AccessKeyId).Should().Equal(AwsCredentialStore.DefaultAccessKeyId, "AKIDROTATED000000002");
    }

    [Test]
    public async Task A_signature_outside_the_clock_skew_window_is_rejected()
    {
        await using var backend = await EcsBackend.StartAsync(EcsBackend.Emulator);
        var skewed = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-20));

        var call = () => backend.CreateClient(time: skewed).DescribeClustersAsync(new DescribeClustersRequest());

        (await call.Should().ThrowAsync<AuthenticationFailedException>()).Which.Message.Should().StartWith("Signature expired");
    }

    private sealed class RotatingCredentials(ImmutableCredentials initial) : AWSCredentials
    {
        public ImmutableCredentials Current { get; set; } = initial;

        public override ImmutableCredentials GetCredentials() => Current;

        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(Current);
    }
}
