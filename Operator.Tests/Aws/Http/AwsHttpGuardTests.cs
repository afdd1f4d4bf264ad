using Amazon.SecurityToken.Model;
using Operator.Core.Aws.Ecs.Model;
using Operator.Core.Aws.Http;

namespace Operator.Tests.Aws.Http;

/// <summary>
/// The HTTP layer every ECS and STS request passes (<see cref="AwsHttpGuard"/> under each provider's
/// <see cref="AwsHttpPool"/>), over real HTTP against servers that keep every byte they receive: a header value with a
/// line break sends nothing; a redirect sends nothing to its target; a body over the cap fails, declared or not; two
/// providers never share a connection; a replaced pool is disposed once the calls under way had their time.
/// </summary>
[TestFixture]
public sealed class AwsHttpGuardTests
{
    private const long Cap = 64 * 1024;

    private RecordingEndpoint _target = null!;
    private FakeAwsEndpoint _aws = null!;
    private AwsHttpPools _pools = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _target = await RecordingEndpoint.StartAsync();
        _aws = await FakeAwsEndpoint.StartAsync();
        _pools = new AwsHttpPools(new AwsHttpOptions { MaxResponseBytes = Cap }, TimeProvider.System,
            handler => StsHttpClients.Create(handler, null, TimeSpan.FromSeconds(10)));
    }

    [TearDown]
    public async Task StopAsync()
    {
        _pools.Dispose();
        await _aws.DisposeAsync();
        await _target.DisposeAsync();
    }

    [TestCase("tok\r\nX-Injected: yes")]
    [TestCase("tok\nX-Injected: yes")]
    [TestCase("tok\rX-Injected: yes")]
    [TestCase("tok\0X-Injected: yes")]
    public async Task A_header_value_with_a_line_break_is_refused_before_any_byte_is_sent(string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _target.Url) { Content = new StringContent("{}") };
        request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", value).Should().BeTrue();

        var act = () => _pools.For("tenant-a/p", _target.Url.ToString()).Ecs.SendAsync(request);

        var refused = (await act.Should().ThrowAsync<AwsHttpRefusedException>()).Which;
        refused.Kind.Should().Be(AwsHttpRefusal.UnsafeHeader);
        refused.Message.Should().Contain("X-Amz-Security-Token").And.NotContain("X-Injected");
        _target.Raw.Connections.Should().BeEmpty("the refusal happens before a connection is even opened");
    }

    [Test]
    public async Task The_STS_client_of_the_AWS_SDK_goes_through_the_guard_too()
    {
        var sts = new StsClientFactory(new StsClientOptions(), _pools);
        using var client = sts.Create("tenant-a/p", new SessionAWSCredentials("AKIDTEST", "secret", "tok\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1"),
            "us-east-1", _target.Url.ToString());

        var act = () => client.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        (await act.Should().ThrowAsync<Exception>()).Which.Should().Match<Exception>(e => AwsHttpRefusedException.Find(e) != null);
        _target.Raw.Connections.Should().BeEmpty();
    }

    [TestCase(301)]
    [TestCase(302)]
    [TestCase(307)]
    [TestCase(308)]
    public async Task A_redirect_of_ECS_fails_naming_the_host_and_nothing_reaches_it(int status)
    {
        _aws.Ecs = FakeAwsEndpoint.Reply.Redirect(status, new Uri(_target.Url, "/elsewhere"));

        var act = () => Ecs("tenant-a/p").DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["c"] });

        var refused = (await act.Should().ThrowAsync<AwsHttpRefusedException>()).Which;
        refused.Kind.Should().Be(AwsHttpRefusal.Redirect);
        refused.Message.Should().Contain($"HTTP {status}").And.Contain($"host 127.0.0.1:{_target.Port}");
        _aws.EcsRequests.Should().Be(1);
        _target.Raw.BytesReceived.Should().Be(0);
    }

    [Test]
    public async Task A_redirect_of_STS_fails_through_the_SDK_and_nothing_reaches_its_target()
    {
        _aws.Sts = FakeAwsEndpoint.Reply.Redirect(307, _target.Url);
        using var client = new StsClientFactory(new StsClientOptions(), _pools)
            .Create("tenant-a/p", new BasicAWSCredentials("AKIDTEST", "secret"), "us-east-1", _aws.Endpoint.ToString());

        var act = () => client.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        var e = (await act.Should().ThrowAsync<Exception>()).Which;
        AwsHttpRefusedException.Find(e)!.Kind.Should().Be(AwsHttpRefusal.Redirect);
        StsErrors.Map(e, "GetCallerIdentity", _aws.Endpoint.ToString(), default)!.Reason.Should().Be(ProviderCredentialsReasons.RedirectRefused);
        _aws.StsRequests.Should().Be(1, "a refusal is not retried");
        _target.Raw.BytesReceived.Should().Be(0);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_body_over_the_cap_fails_whether_or_not_its_length_is_declared(bool declared)
    {
        _aws.Ecs = FakeAwsEndpoint.Reply.Large(Cap + 1, declared);

        var act = () => Ecs("tenant-a/p").DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["c"] });

        var refused = (await act.Should().ThrowAsync<AwsHttpRefusedException>()).Which;
        refused.Kind.Should().Be(AwsHttpRefusal.ResponseTooLarge);
        refused.Message.Should().Contain("65,536 bytes").And.Contain("--aws-max-response-bytes");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_body_of_exactly_the_cap_is_read(bool declared)
    {
        _aws.Ecs = FakeAwsEndpoint.Reply.Large(Cap, declared);

        var response = await Ecs("tenant-a/p").DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["c"] });

        response.Clusters.Should().BeNullOrEmpty();
    }

    [Test]
    public async Task A_body_over_the_cap_fails_the_SDKs_STS_call_too()
    {
        _aws.Sts = FakeAwsEndpoint.Reply.Large(60L * 1024 * 1024, declareLength: false) with { ContentType = "text/xml" };
        using var client = new StsClientFactory(new StsClientOptions(), _pools)
            .Create("tenant-a/p", new BasicAWSCredentials("AKIDTEST", "secret"), "us-east-1", _aws.Endpoint.ToString());

        var act = () => client.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        var e = (await act.Should().ThrowAsync<Exception>()).Which;
        StsErrors.Map(e, "GetCallerIdentity", _aws.Endpoint.ToString(), default)!.Reason.Should().Be(ProviderCredentialsReasons.ResponseTooLarge);
    }

    [Test]
    public async Task Two_providers_never_share_a_connection_to_one_host()
    {
        _aws.Ecs = FakeAwsEndpoint.Reply.EcsClientError;
        var a = Ecs("tenant-a/p", "AKIDTENANTA");
        var b = Ecs("tenant-b/p", "AKIDTENANTB");

        // Alternating calls: a shared pool would hand each one the connection the other just gave back.
        for (var i = 0; i < 6; i++)
        {
            foreach (var client in new[] { a, b })
            {
                await client.Invoking(c => c.DescribeClustersAsync(new DescribeClustersRequest { Clusters = ["c"] })).Should().ThrowAsync<EcsException>();
            }
        }

        var connections = _aws.Raw.Connections;
        connections.Should().HaveCountGreaterThanOrEqualTo(2);
        connections.Should().OnlyContain(c => c.Text.Contains("AKIDTENANTA", StringComparison.Ordinal) != c.Text.Contains("AKIDTENANTB", StringComparison.Ordinal),
            "every connection carries the requests of exactly one provider");
    }

    [Test]
    public void A_pool_replaced_for_a_new_endpoint_or_forgotten_is_disposed_once_the_calls_under_way_had_their_time()
    {
        var time = new FakeTimeProvider();
        using var pools = new AwsHttpPools(new AwsHttpOptions { RetireAfter = TimeSpan.FromSeconds(30) }, time);
        var first = pools.For("tenant-a/p", "http://127.0.0.1:1/");

        pools.For("tenant-a/p", "http://127.0.0.1:1/").Should().BeSameAs(first, "the same endpoint keeps its pool");
        var second = pools.For("tenant-a/p", "https://ecs.us-east-1.amazonaws.com/");
        second.Should().NotBeSameAs(first);
        first.IsDisposed.Should().BeFalse("calls under way may still use it");
        time.Advance(TimeSpan.FromSeconds(30));
        first.IsDisposed.Should().BeTrue();

        pools.Forget("tenant-a/p");
        pools.Count.Should().Be(0);
        second.IsDisposed.Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(30));
        second.IsDisposed.Should().BeTrue();
    }

    private IEcsClient Ecs(string providerKey, string accessKey = "AKIDTEST") =>
        new EcsClient(_pools.For(providerKey, _aws.Endpoint.ToString()).Ecs, new BasicAWSCredentials(accessKey, "secret"),
            new EcsClientOptions { Region = "us-east-1", Endpoint = _aws.Endpoint });
}
