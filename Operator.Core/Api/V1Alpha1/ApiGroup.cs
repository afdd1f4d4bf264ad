namespace Operator.Core.Api.V1Alpha1;

/// <summary>Identity of the operator's API group and the names every layer shares.</summary>
public static class ApiGroup
{
    public const string Group = "aws-infra-operator.runner.codes";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>The finalizer the operator puts on an ECSCluster before it creates anything in AWS.</summary>
    public const string Finalizer = Group + "/finalizer";
}
