using Operator.Testing.Kubernetes.Validation;

namespace Operator.Tests.Kubernetes.Validation;

[TestFixture]
public class InvalidStatusTests
{
    private static readonly FieldError Required = new("spec.clusterName", "FieldValueRequired", "spec.clusterName: Required value");
    private static readonly FieldError Enum = new("spec.deletionPolicy", "FieldValueNotSupported",
        "spec.deletionPolicy: Unsupported value: \"Orphan\": supported values: \"Delete\", \"Retain\"");

    [Test]
    public void Body_strips_the_field_prefix()
    {
        Required.Body().Should().Be("Required value");
        Enum.Body().Should().Be("Unsupported value: \"Orphan\": supported values: \"Delete\", \"Retain\"");
    }

    [Test]
    public void Message_lists_one_error_plainly_and_several_in_brackets()
    {
        InvalidStatus.Message("ECSCluster", "aws-infra-operator.runner.codes", "c", [Required])
            .Should().Be("ECSCluster.aws-infra-operator.runner.codes \"c\" is invalid: spec.clusterName: Required value");
        InvalidStatus.Message("ECSCluster", "aws-infra-operator.runner.codes", "c", [Required, Enum, Required])
            .Should().Be("ECSCluster.aws-infra-operator.runner.codes \"c\" is invalid: [spec.clusterName: Required value, spec.deletionPolicy: Unsupported value: \"Orphan\": supported values: \"Delete\", \"Retain\"]");
    }

    [Test]
    public void Status_has_the_apiserver_shape()
    {
        var status = InvalidStatus.ToStatus("ECSCluster", "aws-infra-operator.runner.codes", "c", [Required]);

        status.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Should().Be(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ECSCluster.aws-infra-operator.runner.codes \"c\" is invalid: spec.clusterName: Required value","reason":"Invalid","details":{"name":"c","group":"aws-infra-operator.runner.codes","kind":"ECSCluster","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.clusterName"}]},"code":422}""");
    }
}
