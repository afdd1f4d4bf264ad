namespace Operator.Tests.Aws;

/// <summary>The error shapes ECS (and proxies in front of it) answer with, mapped to typed exceptions.</summary>
public sealed class EcsErrorMapperTests
{
    [Test]
    public void Namespaced_type_and_lowercase_message()
    {
        var error = EcsErrorMapper.Map(HttpStatusCode.BadRequest, """{"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."}""", null, "rid-1");

        error.Should().BeOfType<ClusterNotFoundException>();
        error.Message.Should().Be("Cluster not found.");
        error.RequestId.Should().Be("rid-1");
    }

    [Test]
    public void Bare_type_and_capitalised_message()
    {
        var error = EcsErrorMapper.Map(HttpStatusCode.BadRequest, """{"__type":"ClusterContainsTasksException","Message":"Tasks remain."}""", null, null);

        error.Should().BeOfType<ClusterContainsTasksException>();
        error.Message.Should().Be("Tasks remain.");
    }

    [Test]
    public void Type_only_in_the_X_Amzn_ErrorType_header()
    {
        var error = EcsErrorMapper.Map(HttpStatusCode.BadRequest, "{}", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/", null);

        error.Should().BeOfType<ThrottlingException>().Which.Retryable.Should().BeTrue();
    }

    [Test]
    public void A_non_JSON_5xx_page_is_a_retryable_server_error()
    {
        var error = EcsErrorMapper.Map(HttpStatusCode.BadGateway, "<html>502 Bad Gateway</html>", null, null);

        error.Should().BeOfType<ServerException>();
        error.Retryable.Should().BeTrue();
        error.StatusCode.Should().Be(HttpStatusCode.BadGateway);
    }

    [Test]
    public void A_bare_429_is_throttling()
    {
        EcsErrorMapper.Map(HttpStatusCode.TooManyRequests, "", null, null).Should().BeOfType<ThrottlingException>();
    }

    [TestCase("AccessDeniedException", typeof(AccessDeniedException), false)]
    [TestCase("UnrecognizedClientException", typeof(AuthenticationFailedException), false)]
    [TestCase("ExpiredTokenException", typeof(AuthenticationFailedException), false)]
    [TestCase("ServerException", typeof(ServerException), true)]
    [TestCase("RequestLimitExceeded", typeof(ThrottlingException), true)]
    [TestCase("Unheard", typeof(UnknownEcsException), false)]
    public void Codes_map_to_types_and_retryability(string code, Type type, bool retryable)
    {
        var error = EcsErrorMapper.Map(HttpStatusCode.BadRequest, $$"""{"__type":"{{code}}","message":"m"}""", null, null);

        error.Should().BeOfType(type);
        error.ErrorCode.Should().Be(code);
        error.Retryable.Should().Be(retryable);
    }
}
