using System.Net;
using k8s.Autorest;
using Operator.Core.Api.V1Alpha1;

namespace Operator.Tests.Kubernetes;

/// <summary>
/// <see cref="ApiErrors.IsGone"/> on the shapes of 404 an apiserver sends: only a Status whose details name the
/// object itself (its resource and name) means the object was deleted.
/// </summary>
[TestFixture]
public sealed class ApiErrorsTests
{
    private static readonly ResourceType Clusters = ResourceType.Of<ECSCluster>();

    private static HttpOperationException Answer(HttpStatusCode code, string content) => new($"Operation returned {(int)code}")
    {
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(code), content),
    };

    private static string NotFound(string kind, string name, string group = "aws-infra-operator.runner.codes") =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{kind}} \"{{name}}\" not found","reason":"NotFound","details":{"name":"{{name}}","group":"{{group}}","kind":"{{kind}}"},"code":404}""";

    [Test]
    public void A_404_naming_the_object_means_it_is_gone() =>
        ApiErrors.IsGone(Answer(HttpStatusCode.NotFound, NotFound("ecsclusters", "c")), Clusters, "c").Should().BeTrue();

    [TestCase(HttpStatusCode.NotFound, "ecsclusters", "other", "aws-infra-operator.runner.codes", TestName = "another object of the resource")]
    [TestCase(HttpStatusCode.NotFound, "secrets", "c", "", TestName = "an object of another resource with the same name")]
    [TestCase(HttpStatusCode.NotFound, "ecsclusters", "c", "other.example.com", TestName = "the same plural in another group")]
    [TestCase(HttpStatusCode.Conflict, "ecsclusters", "c", "aws-infra-operator.runner.codes", TestName = "a 409 naming the object")]
    public void Any_other_answer_is_not(HttpStatusCode code, string kind, string name, string group) =>
        ApiErrors.IsGone(Answer(code, NotFound(kind, name, group)), Clusters, "c").Should().BeFalse();

    [TestCase("404 page not found", TestName = "an unknown path's plain-text 404")]
    [TestCase("""{"kind":"Status","status":"Failure","reason":"NotFound","code":404}""", TestName = "a Status without details")]
    [TestCase("", TestName = "no body")]
    [TestCase("{not json", TestName = "a body that is not JSON")]
    public void A_404_that_does_not_name_the_object_is_not(string content) =>
        ApiErrors.IsGone(Answer(HttpStatusCode.NotFound, content), Clusters, "c").Should().BeFalse();

    [Test]
    public void Only_the_Kubernetes_clients_answer_counts() =>
        ApiErrors.IsGone(new HttpRequestException("404", null, HttpStatusCode.NotFound), Clusters, "c").Should().BeFalse();
}
