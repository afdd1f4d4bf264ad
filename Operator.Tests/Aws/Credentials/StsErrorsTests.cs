using System.Net.Sockets;

namespace Operator.Tests.Aws.Credentials;

public sealed class StsErrorsTests
{
    private static AmazonServiceException Aws(string code) =>
        new("message that could echo request input", ErrorType.Sender, code, "req-1", HttpStatusCode.Forbidden);

    [TestCase("InvalidClientTokenId", ProviderCredentialsReasons.InvalidCredentials)]
    [TestCase("SignatureDoesNotMatch", ProviderCredentialsReasons.InvalidCredentials)]
    [TestCase("UnrecognizedClientException", ProviderCredentialsReasons.InvalidCredentials)]
    [TestCase("ExpiredToken", ProviderCredentialsReasons.InvalidCredentials)]
    [TestCase("AccessDenied", ProviderCredentialsReasons.AccessDenied)]
    public void Maps_aws_error_codes(string code, string reason)
    {
        var mapped = StsErrors.Map(Aws(code), "GetCallerIdentity", "http://sts.local", CancellationToken.None);
        mapped!.Reason.Should().Be(reason);
        mapped.Message.Should().Contain(code).And.Contain("http://sts.local").And.NotContain("echo request input");
    }

    [Test]
    public void Leaves_throttling_and_server_errors_to_the_caller()
    {
        StsErrors.Map(Aws("Throttling"), "GetCallerIdentity", null, CancellationToken.None).Should().BeNull();
        StsErrors.Map(new InvalidOperationException("bug"), "GetCallerIdentity", null, CancellationToken.None).Should().BeNull();
    }

    [Test]
    public void Transport_failures_at_any_depth_are_unreachable()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused",
            new SocketException((int)SocketError.ConnectionRefused));
        StsErrors.Map(refused, "GetCallerIdentity", "http://x", CancellationToken.None)!.Reason
            .Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
        StsErrors.Map(new AmazonClientException("wrapped", refused), "GetCallerIdentity", "http://x", CancellationToken.None)!
            .Reason.Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
        StsErrors.Map(new TaskCanceledException("timeout"), "GetCallerIdentity", "http://x", CancellationToken.None)!
            .Reason.Should().Be(ProviderCredentialsReasons.EndpointUnreachable);
    }

    [Test]
    public void User_info_in_the_endpoint_is_not_repeated()
    {
        var mapped = StsErrors.Map(new HttpRequestException("refused"), "GetCallerIdentity", "http://me:hunter2@sts.local:4566",
            CancellationToken.None);

        mapped!.Message.Should().Contain("sts.local:4566").And.NotContain("hunter2");
    }

    [Test]
    public void A_cancellation_the_caller_asked_for_is_not_mapped()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        StsErrors.Map(new TaskCanceledException(), "GetCallerIdentity", null, cts.Token).Should().BeNull();
    }

    [Test]
    public void Our_own_exception_passes_through_even_when_wrapped()
    {
        var inner = new ProviderCredentialsException(ProviderCredentialsReasons.WebIdentityTokenMissing, "gone");
        StsErrors.Map(new AmazonClientException("sdk wrapper", inner), "GetCallerIdentity", null, CancellationToken.None)
            .Should().BeSameAs(inner);
    }
}
